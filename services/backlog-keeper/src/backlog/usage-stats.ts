import type { RecipeForm } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

/** How often one value of one variable was used with a recipe. */
export interface UsageOption {
  variable: string;
  value: unknown;
  uses: number;
}

/**
 * Counts a use of a recipe (a claim, or a user's generation from it) and of each value in its form,
 * in the caller's transaction. Upserts, so concurrent uses add up instead of overwriting.
 */
export async function recordUsage(
  tx: EntityManager,
  schema: string,
  recipeId: string,
  form: RecipeForm,
  what: 'claims' | 'generations',
): Promise<void> {
  const s = `"${schema}"`;
  await tx.execute(
    `insert into ${s}.recipe_usage (recipe_id, ${what}) values (?, 1) on conflict (recipe_id) do update set ${what} = recipe_usage.${what} + 1, updated_at = now()`,
    [recipeId],
  );
  // Sorted: concurrent upserts of one recipe take the same rows' locks in the same order (no deadlock).
  for (const [variable, value] of Object.entries(form).sort(([a], [b]) => a.localeCompare(b))) {
    await tx.execute(
      `insert into ${s}.recipe_usage_options (recipe_id, variable, value, uses) values (?, ?, ?::jsonb, 1)
       on conflict (recipe_id, variable, value) do update set uses = recipe_usage_options.uses + 1`,
      [recipeId, variable, JSON.stringify(value)],
    );
  }
}

export async function usageOptions(em: EntityManager, schema: string, recipeId: string): Promise<UsageOption[]> {
  const rows = await em.execute<{ variable: string; value: unknown; uses: string }[]>(
    `select variable, value, uses from "${schema}".recipe_usage_options where recipe_id = ?`,
    [recipeId],
  );
  return rows.map((r) => ({ variable: r.variable, value: r.value, uses: Number(r.uses) }));
}
