import { DomainError } from '@reelforge/contracts';

/** The most rows an offset page may reach into (offset + limit): offsets walk cursor pages. */
export const MAX_OFFSET_WINDOW = 1000;

type CursorPage<T> = (cursor: string | undefined, limit: number) => Promise<{ items: T[]; nextCursor: string | null }>;

/**
 * `limit`/`offset` paging (what the replaced systems' clients send) over v1's cursor pages. Several
 * listings (one per v1 status a compat status stands for) are merged newest first; ids are
 * UUIDv7, so their order is creation order.
 */
export async function offsetPage<T extends { id: string }>(
  listings: CursorPage<T>[],
  offset: number,
  limit: number,
): Promise<T[]> {
  const window = offset + limit;
  if (window > MAX_OFFSET_WINDOW)
    throw new DomainError('VALIDATION_FAILED', `offset + limit must be at most ${MAX_OFFSET_WINDOW}`, {
      field: 'querystring/offset',
    });
  const all: T[] = [];
  for (const list of listings) {
    let cursor: string | undefined;
    let taken = 0;
    do {
      const page = await list(cursor, Math.min(100, window - taken));
      all.push(...page.items);
      taken += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor && taken < window);
  }
  return all.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(offset, window);
}
