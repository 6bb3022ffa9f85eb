import {
  DomainError,
  UUID_PATTERN,
  requireOperator,
  uuidv7,
  type AddLibrarySourceBody,
  type LibrarySourceView,
  type Principal,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

const UUID = new RegExp(UUID_PATTERN);

interface LibraryRow {
  id: string;
  url: string;
  captions_url: string | null;
  tags: string[];
  uses: string | number;
  created_at: Date | string;
}

const toView = (r: LibraryRow): LibrarySourceView => ({
  id: r.id,
  url: r.url,
  captionsUrl: r.captions_url,
  tags: r.tags,
  uses: Number(r.uses),
  createdAt: new Date(r.created_at).toISOString(),
});

/** The videos `clips` recipes cut their backlog items from: system-wide, written and read by operators. */
export function createLibrarySourceCommands(deps: { fork: () => EntityManager; schema: string }) {
  const s = `"${deps.schema}"`;
  return {
    add: async (req: { principal: Principal; body: AddLibrarySourceBody }): Promise<LibrarySourceView> => {
      requireOperator(req.principal, 'adding library sources');
      const [row] = await deps
        .fork()
        .execute<LibraryRow[]>(
          `insert into ${s}.library_sources (id, url, captions_url, tags) values (?, ?, ?, ?::text[]) returning *`,
          [uuidv7(), req.body.url, req.body.captionsUrl ?? null, `{${req.body.tags.join(',')}}`],
        );
      return toView(row!);
    },
    list: async (req: {
      principal: Principal;
      tag?: string;
      limit?: number;
      cursor?: string;
    }): Promise<{ items: LibrarySourceView[]; nextCursor: string | null }> => {
      requireOperator(req.principal, 'listing library sources');
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const limit = req.limit ?? 50;
      const where = [req.tag ? 'tags @> array[?]::text[]' : 'true', req.cursor ? 'id < ?' : 'true'].join(' and ');
      const params = [...(req.tag ? [req.tag] : []), ...(req.cursor ? [req.cursor] : []), limit + 1];
      const rows = await deps
        .fork()
        .execute<LibraryRow[]>(`select * from ${s}.library_sources where ${where} order by id desc limit ?`, params);
      const page = rows.slice(0, limit);
      return { items: page.map(toView), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  };
}
