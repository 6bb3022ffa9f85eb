import { stat } from 'node:fs/promises';
import { DomainError, type ArticleScript, type ContentView, type Principal } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';
import type { MediaStore } from '@reelforge/media-store';

export interface ContentRow {
  id: string;
  task_id: string;
  account_id: string;
  clip_index: number;
  media_key: string;
  duration_seconds: number | string; // numeric: pg returns it as text
  size_bytes: string | number;
  width: number;
  height: number;
  checksum_sha256: string;
  segment: { start: number; end: number }[];
  score: number | string | null;
  reason: string;
  captioned: boolean;
  title: string | null;
  thumbnail_key: string | null;
  kind: ContentView['kind'];
  source_url: string | null;
  script: ArticleScript | null;
  created_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toContentView(r: ContentRow): ContentView {
  return {
    id: r.id,
    taskId: r.task_id,
    accountId: r.account_id,
    clipIndex: r.clip_index,
    durationSeconds: Number(r.duration_seconds),
    sizeBytes: Number(r.size_bytes),
    width: r.width,
    height: r.height,
    checksumSha256: r.checksum_sha256,
    segment: r.segment,
    score: r.score === null ? null : Number(r.score),
    reason: r.reason,
    captioned: r.captioned,
    title: r.title,
    hasThumbnail: r.thumbnail_key !== null,
    kind: r.kind,
    sourceUrl: r.source_url,
    script: r.script,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Generated content, scoped to the caller (the owner principal recorded with each clip); ids are UUIDv7, so the cursor is the last id. */
export function createContentQueries(deps: { orm: MikroORM; schema: string; store: MediaStore }) {
  const s = `"${deps.schema}"`;
  const one = async (contentId: string, principal: Principal): Promise<ContentRow> => {
    const [row] = await deps.orm.em
      .fork()
      .execute<ContentRow[]>(`select * from ${s}.generated_content where id = ? and owner_id = ?`, [
        contentId,
        principal.id,
      ]);
    if (!row) throw new DomainError('NOT_FOUND', `content ${contentId} not found`);
    return row;
  };
  return {
    list: async (req: {
      principal: Principal;
      accountId?: string;
      taskId?: string;
      kind?: ContentView['kind'];
      limit?: number;
      cursor?: string;
    }): Promise<{ items: ContentView[]; nextCursor: string | null }> => {
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const limit = req.limit ?? 20;
      const where = ['owner_id = ?'];
      const params: unknown[] = [req.principal.id];
      if (req.accountId) {
        where.push('account_id = ?');
        params.push(req.accountId);
      }
      if (req.taskId) {
        where.push('task_id = ?');
        params.push(req.taskId);
      }
      if (req.kind) {
        where.push('kind = ?');
        params.push(req.kind);
      }
      if (req.cursor) {
        where.push('id < ?');
        params.push(req.cursor);
      }
      const rows = await deps.orm.em
        .fork()
        .execute<ContentRow[]>(
          `select * from ${s}.generated_content where ${where.join(' and ')} order by id desc limit ?`,
          [...params, limit + 1],
        );
      const page = rows.slice(0, limit);
      return { items: page.map(toContentView), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
    get: async (req: { principal: Principal; contentId: string }) =>
      toContentView(await one(req.contentId, req.principal)),
    locate: async (req: {
      principal: Principal;
      contentId: string;
      kind: 'video' | 'thumbnail';
    }): Promise<{ mediaKey: string; sizeBytes: number; contentType: string }> => {
      const row = await one(req.contentId, req.principal);
      const key = req.kind === 'thumbnail' ? row.thumbnail_key : row.media_key;
      if (key === null)
        throw new DomainError('NOT_FOUND', 'this clip has no thumbnail (it was rendered before thumbnails existed)');
      const size = await stat(deps.store.pathOf(key)).then(
        (st) => st.size,
        () => undefined,
      );
      if (size === undefined)
        throw new DomainError(
          'NOT_FOUND',
          `the ${req.kind} of content ${req.contentId} is missing from the media store`,
        );
      return { mediaKey: key, sizeBytes: size, contentType: req.kind === 'thumbnail' ? 'image/jpeg' : 'video/mp4' };
    },
  };
}
