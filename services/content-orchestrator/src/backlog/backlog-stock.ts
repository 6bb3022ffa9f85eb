import { BACKLOG_ACCOUNT_ID, type BacklogStock } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

/** Ready (finished after `freshAfter`), stale and in-progress items per recipe (zeros for a recipe with none), and all items in progress. */
export async function backlogStock(
  em: EntityManager,
  schema: string,
  recipeIds: string[],
  freshAfter?: string,
): Promise<{ recipes: BacklogStock[]; producingTotal: number }> {
  const s = `"${schema}"`;
  // Without an age limit every finished item is fresh.
  const since = freshAfter ?? '-infinity';
  const rows = await em.execute<
    { recipe_id: string; ready: string; producing: string; stale: string; oldest: Date | string | null }[]
  >(
    `select recipe_id,
            count(*) filter (where status = 'completed' and finished_at >= ?::timestamptz) as ready,
            count(*) filter (where status in ('queuing', 'processing')) as producing,
            count(*) filter (where status = 'completed' and finished_at < ?::timestamptz) as stale,
            min(finished_at) filter (where status = 'completed' and finished_at >= ?::timestamptz) as oldest
       from ${s}.generations
      where account_id = ? and recipe_id = any(?::uuid[]) and status in ('completed', 'queuing', 'processing')
      group by recipe_id`,
    [since, since, since, BACKLOG_ACCOUNT_ID, `{${recipeIds.join(',')}}`],
  );
  const [total] = await em.execute<{ n: string }[]>(
    `select count(*) as n from ${s}.generations where account_id = ? and status in ('queuing', 'processing')`,
    [BACKLOG_ACCOUNT_ID],
  );
  const byRecipe = new Map(rows.map((r) => [r.recipe_id, r]));
  return {
    recipes: recipeIds.map((recipeId) => {
      const r = byRecipe.get(recipeId);
      return {
        recipeId,
        ready: Number(r?.ready ?? 0),
        producing: Number(r?.producing ?? 0),
        stale: Number(r?.stale ?? 0),
        oldestReadyAt: r?.oldest ? new Date(r.oldest).toISOString() : null,
      };
    }),
    producingTotal: Number(total?.n ?? 0),
  };
}
