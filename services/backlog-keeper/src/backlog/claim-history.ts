import type { EntityManager } from '@reelforge/persistence';

const HOURS = 24;

/** Claims of a recipe in each of the last 24 hours (oldest first; hours without claims count 0). */
export async function claimsPerHour(em: EntityManager, schema: string, recipeId: string): Promise<number[]> {
  const rows = await em.execute<{ ago: number; n: string }[]>(
    `select floor(extract(epoch from now() - claimed_at) / 3600)::int as ago, count(*) as n
       from "${schema}".claims where recipe_id = ? and claimed_at > now() - interval '${HOURS} hours' group by 1`,
    [recipeId],
  );
  const counts = new Array<number>(HOURS).fill(0);
  for (const r of rows) if (r.ago >= 0 && r.ago < HOURS) counts[HOURS - 1 - r.ago] = Number(r.n);
  return counts;
}

export async function claimsLastHour(em: EntityManager, schema: string, recipeId: string): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>(
    `select count(*) as n from "${schema}".claims where recipe_id = ? and claimed_at > now() - interval '1 hour'`,
    [recipeId],
  );
  return Number(row?.n ?? 0);
}
