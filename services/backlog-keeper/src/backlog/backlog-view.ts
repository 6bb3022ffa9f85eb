import { DomainError, type BacklogStock, type BacklogView, type Principal } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { findRecipe } from '../recipes/recipe-rows.ts';
import { adaptiveMinimum } from './adaptive-minimum.ts';
import { claimsLastHour, claimsPerHour } from './claim-history.ts';

/** `GET /recipes/:id/backlog`: ready and in-progress items, the level kept, and recent demand. */
export async function backlogView(
  deps: {
    fork: () => EntityManager;
    schema: string;
    stock: (ids: string[]) => Promise<{ recipes: BacklogStock[] }>;
    maxMinimum: number;
  },
  req: { principal: Principal; recipeId: string },
): Promise<BacklogView> {
  const em = deps.fork();
  const recipe = await findRecipe(em, deps.schema, req.recipeId);
  if (!recipe || (!recipe.active && !req.principal.roles.includes('operator')))
    throw new DomainError('NOT_FOUND', `recipe ${req.recipeId} not found`);
  const [stock] = (await deps.stock([recipe.id])).recipes;
  return {
    recipeId: recipe.id,
    ready: stock?.ready ?? 0,
    producing: stock?.producing ?? 0,
    stale: stock?.stale ?? 0,
    minimum: adaptiveMinimum(recipe.min_backlog, await claimsPerHour(em, deps.schema, recipe.id), deps.maxMinimum),
    configuredMinimum: recipe.min_backlog,
    claimsLastHour: await claimsLastHour(em, deps.schema, recipe.id),
    oldestReadyAt: stock?.oldestReadyAt ?? null,
  };
}
