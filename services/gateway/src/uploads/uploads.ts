import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, uuidv7, type Principal } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import type { MikroORM } from '@reelforge/persistence';
import { idleGuard } from './idle-guard.ts';
import { sniffVideo } from './sniff-video.ts';

export interface UploadView {
  id: string;
  sizeBytes: number;
  durationSeconds: number;
  width: number;
  height: number;
  createdAt: string;
}

/**
 * Uploaded source videos: streamed to the media store (never held in memory), kept only when
 * ffprobe finds a video in an accepted container in them, and owned by the principal that sent them.
 */
export function createUploads(deps: { orm: MikroORM; schema: string; store: MediaStore; ffprobePath: string }) {
  const t = `"${deps.schema}".uploads`;
  return {
    /** Streams `file` in; `truncated()` tells whether the size limit cut it. */
    async receive(principal: Principal, file: Readable, truncated: () => boolean, limits: { maxBytes: number; idleMs: number }): Promise<UploadView> {
      const { maxBytes } = limits;
      const id = uuidv7();
      const key = `uploads/${id}/source`;
      const target = deps.store.pathOf(key);
      const tmp = `${target}.partial`;
      await mkdir(dirname(target), { recursive: true });
      try {
        await pipeline(file, idleGuard(limits.idleMs), createWriteStream(tmp));
        if (truncated()) throw new DomainError('PAYLOAD_TOO_LARGE', `the file is larger than the limit of ${maxBytes} bytes`);
        const video = await sniffVideo(deps.ffprobePath, tmp);
        await rename(tmp, target);
        const { size } = await stat(target);
        const [row] = await deps.orm.em.fork().execute<{ created_at: Date }[]>(
          `insert into ${t} (id, principal_id, media_key, size_bytes, duration_seconds, width, height) values (?, ?, ?, ?, ?, ?, ?) returning created_at`,
          [id, principal.id, key, size, video.durationSeconds, video.width, video.height],
        );
        return { id, sizeBytes: size, ...video, createdAt: new Date(row!.created_at).toISOString() };
      } catch (err) {
        await rm(dirname(target), { recursive: true, force: true });
        throw err;
      }
    },
    /** The media location of one of the principal's uploads; `field` names it when it came in a body (then it's a 422). */
    async locate(principal: Principal, uploadId: string, field?: string): Promise<string> {
      const [row] = await deps.orm.em.fork().execute<{ media_key: string }[]>(`select media_key from ${t} where id = ? and principal_id = ?`, [uploadId, principal.id]);
      if (!row) throw field ? new DomainError('UNPROCESSABLE', `upload ${uploadId} not found`, { field }) : new DomainError('NOT_FOUND', `upload ${uploadId} not found`);
      return `media:${row.media_key}`;
    },
  };
}

export type Uploads = ReturnType<typeof createUploads>;
