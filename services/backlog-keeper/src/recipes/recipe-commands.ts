import {
  DomainError,
  UUID_PATTERN,
  requireOperator,
  uuidv7,
  type CreateRecipeBody,
  type Principal,
  type RecipeForm,
  type RecipeView,
  type UpdateRecipeBody,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { checkVariables, sampleForm, validateForm, type VariablesSchema } from './recipe-variables.ts';
import { renderGeneration, templateVariables } from './render-template.ts';
import { findRecipe, toRecipeView, type RecipeRow } from './recipe-rows.ts';

const UUID = new RegExp(UUID_PATTERN);

/**
 * A recipe is checked whole before it is stored: its form schema, that its template names only
 * its variables, that a sample form renders a generation the orchestrator accepts, and that an
 * article recipe draws on article URLs (a clips recipe on library sources).
 */
function checkRecipe(r: {
  kind: RecipeView['kind'];
  variables: unknown;
  template: unknown;
  sourcePool: RecipeView['sourcePool'];
}): VariablesSchema {
  const variables = checkVariables(r.variables);
  const unknown = [...templateVariables(r.template)].filter((name) => !(name in variables.properties));
  if (unknown.length)
    throw new DomainError(
      'VALIDATION_FAILED',
      `the template names variables the form does not have: ${unknown.join(', ')}`,
      { field: 'body/template' },
    );
  renderGeneration(r.kind, r.template, sampleForm(variables));
  if ((r.kind === 'article') !== (r.sourcePool.kind === 'articles')) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `a ${r.kind} recipe needs a source pool of kind "${r.kind === 'article' ? 'articles' : 'library'}"`,
      { field: 'body/sourcePool' },
    );
  }
  return variables;
}

/** Which of these recipes have a ready item (none when the orchestrator cannot say: nothing is promised). */
type InstantAvailability = (recipeIds: string[]) => Promise<Set<string>>;

export interface RecipeCommandDeps {
  fork: () => EntityManager;
  schema: string;
  clock: () => Date;
  available: InstantAvailability;
  /** A recipe was created or changed: its pool may need filling (or stopping). */
  changed: () => void;
}

export function createRecipeCommands(deps: RecipeCommandDeps) {
  const s = `"${deps.schema}"`;
  const toView = async (r: RecipeRow) => toRecipeView(r, (await deps.available([r.id])).has(r.id));
  const load = async (em: EntityManager, principal: Principal, recipeId: string): Promise<RecipeRow> => {
    const row = await findRecipe(em, deps.schema, recipeId);
    // An inactive recipe is an operator's draft: to everyone else it does not exist.
    if (!row || (!row.active && !principal.roles.includes('operator')))
      throw new DomainError('NOT_FOUND', `recipe ${recipeId} not found`);
    return row;
  };
  return {
    list: async (req: { principal: Principal; includeInactive?: boolean; limit?: number; cursor?: string }) => {
      if (req.includeInactive) requireOperator(req.principal, 'listing inactive recipes');
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const limit = req.limit ?? 50;
      const where = [req.includeInactive ? 'true' : 'active', ...(req.cursor ? ['id > ?'] : [])].join(' and ');
      const rows = await deps
        .fork()
        .execute<RecipeRow[]>(`select * from ${s}.recipes where ${where} order by id limit ?`, [
          ...(req.cursor ? [req.cursor] : []),
          limit + 1,
        ]);
      const page = rows.slice(0, limit);
      const available = await deps.available(page.map((r) => r.id));
      return {
        items: page.map((r) => toRecipeView(r, available.has(r.id))),
        nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
      };
    },
    get: async (req: { principal: Principal; recipeId: string }) =>
      toView(await load(deps.fork(), req.principal, req.recipeId)),
    create: async (req: { principal: Principal; body: CreateRecipeBody }) => {
      requireOperator(req.principal, 'creating recipes');
      const b = req.body;
      const template = b.template ?? {};
      const variables = checkRecipe({ kind: b.kind, variables: b.variables, template, sourcePool: b.sourcePool });
      const now = deps.clock();
      const [row] = await deps.fork().execute<RecipeRow[]>(
        `insert into ${s}.recipes (id, name, description, kind, variables, template, source_pool, credit_cost, min_backlog, active, created_at, updated_at)
         values (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?) returning *`,
        [
          uuidv7(now.getTime()),
          b.name,
          b.description ?? '',
          b.kind,
          JSON.stringify(variables),
          JSON.stringify(template),
          JSON.stringify(b.sourcePool),
          b.creditCost ?? 0,
          b.minBacklog ?? 3,
          b.active ?? true,
          now,
          now,
        ],
      );
      deps.changed();
      return toView(row!);
    },
    update: async (req: { principal: Principal; recipeId: string; body: UpdateRecipeBody }) => {
      requireOperator(req.principal, 'changing recipes');
      const updated = await deps.fork().transactional(async (tx) => {
        const [current] = await tx.execute<RecipeRow[]>(`select * from ${s}.recipes where id = ? for update`, [
          req.recipeId,
        ]);
        if (!current) throw new DomainError('NOT_FOUND', `recipe ${req.recipeId} not found`);
        const b = req.body;
        const next = {
          kind: current.kind,
          variables: b.variables ?? current.variables,
          template: b.template ?? current.template,
          sourcePool: b.sourcePool ?? current.source_pool,
        };
        const variables = checkRecipe(next);
        const [row] = await tx.execute<RecipeRow[]>(
          `update ${s}.recipes set name = ?, description = ?, variables = ?::jsonb, template = ?::jsonb, source_pool = ?::jsonb, credit_cost = ?, min_backlog = ?, active = ?, updated_at = ? where id = ? returning *`,
          [
            b.name ?? current.name,
            b.description ?? current.description,
            JSON.stringify(variables),
            JSON.stringify(next.template),
            JSON.stringify(next.sourcePool),
            b.creditCost ?? current.credit_cost,
            b.minBacklog ?? current.min_backlog,
            b.active ?? current.active,
            deps.clock(),
            req.recipeId,
          ],
        );
        return row!;
      });
      deps.changed();
      return toView(updated);
    },
    render: async (req: { principal: Principal; recipeId: string; form: RecipeForm }) => {
      const recipe = await load(deps.fork(), req.principal, req.recipeId);
      const form = validateForm(recipe.variables, req.form);
      return { form, generation: renderGeneration(recipe.kind, recipe.template, form) };
    },
  };
}
