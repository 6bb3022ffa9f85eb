import type { RecipeView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { VariablesSchema } from './recipe-variables.ts';

export interface RecipeRow {
  id: string;
  name: string;
  description: string;
  kind: RecipeView['kind'];
  variables: VariablesSchema;
  template: unknown;
  source_pool: RecipeView['sourcePool'];
  credit_cost: number;
  min_backlog: number;
  active: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** A recipe as the API shows it; `instantAvailable` is whether its backlog has a ready item now. */
export const toRecipeView = (r: RecipeRow, instantAvailable: boolean): RecipeView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  kind: r.kind,
  variables: r.variables,
  template: r.template,
  sourcePool: r.source_pool,
  creditCost: r.credit_cost,
  minBacklog: r.min_backlog,
  active: r.active,
  instantAvailable,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export async function findRecipe(em: EntityManager, schema: string, recipeId: string): Promise<RecipeRow | undefined> {
  const [row] = await em.execute<RecipeRow[]>(`select * from "${schema}".recipes where id = ?`, [recipeId]);
  return row;
}

export const activeRecipes = (em: EntityManager, schema: string): Promise<RecipeRow[]> =>
  em.execute<RecipeRow[]>(`select * from "${schema}".recipes where active order by id`);
