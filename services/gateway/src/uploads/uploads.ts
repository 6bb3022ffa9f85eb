import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, uuidv7, type Principal } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import type { MikroORM } from '@reelforge/persistence';
import { idleGuard } from './idle-guard.ts';
import { sniffImage } from './sniff-image.ts';
import { sniffVideo } from './sniff-video.ts';
import { kindSniffer, type UploadKind } from './upload-kind.ts';

export interface UploadView {
  id: string;
  kind: UploadKind;
  sizeBytes: number;
  /** null for an image. */
  durationSeconds: number | null;
  width: number;
  height: number;
  createdAt: string;
}

/**
 * Uploads: source videos and still images (logos), streamed to the media store (never held in
 * memory), kept only when ffprobe finds a video or an image in an accepted container in them, and
 * owned by the principal that sent them. Each is usable only where its kind is expected.
 */
export function createUploads(deps: {
  orm: MikroORM;
  schema: string;
  store: MediaStore;
  ffprobePath: string;
  quotaBytes?: number;
}) {
  const t = `"${deps.schema}".uploads`;
  const quota = deps.quotaBytes ?? 0;
  const usedBytes = async (principal: Principal): Promise<number> => {
    const [row] = await deps.orm.em
      .fork()
      .execute<{ bytes: string | number }[]>(
        `select coalesce(sum(size_bytes), 0) as bytes from ${t} where principal_id = ?`,
        [principal.id],
      );
    return Number(row?.bytes ?? 0);
  };
  /** A caller's uploads may occupy at most `quota` bytes: refused before streaming when full, after when this one passes it. */
  const checkQuota = async (principal: Principal, incoming: number) => {
    if (quota <= 0) return;
    const used = await usedBytes(principal);
    if (used + incoming > quota || (incoming === 0 && used >= quota)) {
      throw new DomainError(
        'PAYLOAD_TOO_LARGE',
        `your uploads would use ${used + incoming} of your ${quota} bytes of upload storage; delete uploads you no longer need (DELETE /uploads/:id)`,
        { usedBytes: used, quotaBytes: quota },
      );
    }
  };
  return {
    /** Streams `file` in; `truncated()` tells whether the size limit cut it. */
    receive: async (
      principal: Principal,
      file: Readable,
      truncated: () => boolean,
      limits: { maxBytes: number; maxImageBytes: number; idleMs: number },
    ): Promise<UploadView> => {
      const { maxBytes } = limits;
      await checkQuota(principal, 0);
      const id = uuidv7();
      const key = `uploads/${id}/source`;
      const target = deps.store.pathOf(key);
      const tmp = `${target}.partial`;
      await mkdir(dirname(target), { recursive: true });
      try {
        const sniffer = kindSniffer(limits.maxImageBytes);
        await pipeline(file, idleGuard(limits.idleMs), sniffer, createWriteStream(tmp));
        if (truncated())
          throw new DomainError('PAYLOAD_TOO_LARGE', `the file is larger than the limit of ${maxBytes} bytes`);
        if (sniffer.imageTooLarge())
          throw new DomainError(
            'PAYLOAD_TOO_LARGE',
            `the image is larger than the limit of ${limits.maxImageBytes} bytes`,
          );
        const kind = sniffer.kind();
        const media =
          kind === 'image'
            ? { ...(await sniffImage(deps.ffprobePath, tmp)), durationSeconds: null }
            : await sniffVideo(deps.ffprobePath, tmp);
        await checkQuota(principal, (await stat(tmp)).size);
        await rename(tmp, target);
        const { size } = await stat(target);
        const [row] = await deps.orm.em
          .fork()
          .execute<{ created_at: Date }[]>(
            `insert into ${t} (id, principal_id, media_key, kind, size_bytes, duration_seconds, width, height) values (?, ?, ?, ?, ?, ?, ?, ?) returning created_at`,
            [id, principal.id, key, kind, size, media.durationSeconds, media.width, media.height],
          );
        return { id, kind, sizeBytes: size, ...media, createdAt: new Date(row!.created_at).toISOString() };
      } catch (err) {
        await rm(dirname(target), { recursive: true, force: true });
        throw err;
      }
    },
    /** Deletes one of the principal's uploads (row, then file). Sources registered from it fail their next render, saying the upload is gone. */
    remove: async (principal: Principal, uploadId: string): Promise<void> => {
      const [row] = await deps.orm.em
        .fork()
        .execute<{ media_key: string }[]>(`delete from ${t} where id = ? and principal_id = ? returning media_key`, [
          uploadId,
          principal.id,
        ]);
      if (!row) throw new DomainError('NOT_FOUND', `upload ${uploadId} not found`);
      await rm(dirname(deps.store.pathOf(row.media_key)), { recursive: true, force: true });
    },
    /**
     * The media location of one of the principal's uploads of `kind` (an image is no source, a video
     * no logo: 422 naming `field`). A missing upload is a 422 when `notFoundIs422` (it was an option
     * in a body), else a 404.
     */
    locate: async (
      principal: Principal,
      uploadId: string,
      want: { kind: UploadKind; field: string; notFoundIs422?: boolean },
    ): Promise<string> => {
      const [row] = await deps.orm.em
        .fork()
        .execute<{ media_key: string; kind: UploadKind }[]>(
          `select media_key, kind from ${t} where id = ? and principal_id = ?`,
          [uploadId, principal.id],
        );
      if (!row)
        throw want.notFoundIs422
          ? new DomainError('UNPROCESSABLE', `upload ${uploadId} not found`, { field: want.field })
          : new DomainError('NOT_FOUND', `upload ${uploadId} not found`);
      if (row.kind !== want.kind)
        throw new DomainError(
          'UNPROCESSABLE',
          `upload ${uploadId} is ${row.kind === 'image' ? 'an image' : 'a video'}; ${want.kind === 'image' ? 'an image' : 'a video'} is expected here`,
          { field: want.field },
        );
      return `media:${row.media_key}`;
    },
  };
}

export type Uploads = ReturnType<typeof createUploads>;
