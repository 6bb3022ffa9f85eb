import {
  DomainError,
  type GenerationView,
  type Principal,
  type RecipeForm,
  type RecipeGenerationBody,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { recordUsage } from '../backlog/usage-stats.ts';
import { findRecipe } from './recipe-rows.ts';
import { validateForm } from './recipe-variables.ts';
import { renderGeneration } from './render-template.ts';

type Started = { generation: GenerationView; shortBy: number };

/**
 * A user's own generation from a recipe (the form the client opens when no instant item is
 * ready): the form is checked and rendered here, the generation starts through the orchestrator's
 * normal path in the caller's account, and the form's values count once per generation in the
 * usage statistics that weight the backlog's forms. Counted after the start: a crash in between
 * loses one count, never invents one.
 */
export function createGenerateFromRecipe(deps: {
  fork: () => EntityManager;
  schema: string;
  start: (req: {
    principal: Principal;
    accountId: string;
    body: ReturnType<typeof renderGeneration>;
    idempotencyKey?: string;
  }) => Promise<Started>;
}) {
  return async function generateFromRecipe(req: {
    principal: Principal;
    recipeId: string;
    body: RecipeGenerationBody;
    idempotencyKey?: string;
  }): Promise<Started & { form: RecipeForm }> {
    const recipe = await findRecipe(deps.fork(), deps.schema, req.recipeId);
    if (!recipe || !recipe.active) throw new DomainError('NOT_FOUND', `recipe ${req.recipeId} not found`);
    const form = validateForm(recipe.variables, req.body.form);
    const body = renderGeneration(recipe.kind, recipe.template, form);
    const started = await deps.start({
      principal: req.principal,
      accountId: req.body.accountId,
      body,
      ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
    });
    await deps.fork().transactional(async (tx) => {
      const [fresh] = await tx.execute<{ generation_id: string }[]>(
        `insert into "${deps.schema}".recipe_generations (generation_id, recipe_id, account_id) values (?, ?, ?) on conflict (generation_id) do nothing returning generation_id`,
        [started.generation.id, recipe.id, req.body.accountId],
      );
      if (fresh) await recordUsage(tx, deps.schema, recipe.id, form, 'generations');
    });
    return { ...started, form };
  };
}
