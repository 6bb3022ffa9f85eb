import {
  uuidv7,
  type BacklogItemSource,
  type BacklogStock,
  type GenerationView,
  type MaintenanceSummary,
  type RecipeForm,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { activeRecipes, findRecipe, type RecipeRow } from '../recipes/recipe-rows.ts';
import { renderGeneration } from '../recipes/render-template.ts';
import { adaptiveMinimum } from './adaptive-minimum.ts';
import { drawForm } from './draw-form.ts';
import { claimsPerHour } from './claim-history.ts';
import { usageOptions } from './usage-stats.ts';

export interface MaintainDeps {
  fork: () => EntityManager;
  schema: string;
  /** The orchestrator's count of ready and in-progress items. */
  stock: (recipeIds: string[]) => Promise<{ recipes: BacklogStock[]; producingTotal: number }>;
  /** Starts one item through the orchestrator (the normal generation path). */
  produce: (req: {
    recipeId: string;
    itemKey: string;
    generation: ReturnType<typeof renderGeneration>;
    source: BacklogItemSource;
    form: RecipeForm;
  }) => Promise<GenerationView>;
  /** At most this many backlog items in production at once, across all recipes (users' work comes first). */
  maxProducing: number;
  /** The adaptive minimum never exceeds this. */
  maxMinimum: number;
  random: () => number;
  log: Logger;
}

const pickSource = (recipe: RecipeRow, random: () => number): BacklogItemSource =>
  recipe.source_pool.kind === 'library'
    ? { kind: 'library', tag: recipe.source_pool.tag }
    : { kind: 'article', url: recipe.source_pool.urls[Math.floor(random() * recipe.source_pool.urls.length)]! };

/**
 * One maintenance pass: for each active recipe (or one), start the items its pool lacks. Passes
 * never overlap, across instances too (a transaction-scoped advisory lock), so each counts what the
 * last one started (in-progress items count toward the minimum) and the global cap holds. Emptiest
 * pools go first when the cap leaves too few slots for all.
 */
export async function maintainBacklog(deps: MaintainDeps, recipeId?: string): Promise<MaintenanceSummary> {
  return deps.fork().transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(hashtext(?))`, [`${deps.schema}.backlog-maintainer`]);
    const recipes = recipeId
      ? [await findRecipe(tx, deps.schema, recipeId)].filter((r): r is RecipeRow => r?.active === true)
      : await activeRecipes(tx, deps.schema);
    const summary: MaintenanceSummary = { recipes: [], started: 0, deferred: 0 };
    if (recipes.length === 0) return summary;
    const stock = await deps.stock(recipes.map((r) => r.id));
    let producing = stock.producingTotal;
    const plans = await Promise.all(
      recipes.map(async (recipe) => {
        const st = stock.recipes.find((x) => x.recipeId === recipe.id) ?? { ready: 0, producing: 0 };
        const minimum = adaptiveMinimum(
          recipe.min_backlog,
          await claimsPerHour(tx, deps.schema, recipe.id),
          deps.maxMinimum,
        );
        return {
          recipe,
          ready: st.ready,
          producing: st.producing,
          minimum,
          missing: Math.max(0, minimum - st.ready - st.producing),
        };
      }),
    );
    plans.sort(
      (a, b) => (a.ready + a.producing) / Math.max(1, a.minimum) - (b.ready + b.producing) / Math.max(1, b.minimum),
    );
    for (const plan of plans) {
      const line = {
        recipeId: plan.recipe.id,
        ready: plan.ready,
        producing: plan.producing,
        minimum: plan.minimum,
        started: 0,
        failed: 0,
      };
      const slots = Math.max(0, deps.maxProducing - producing);
      const n = Math.min(plan.missing, slots);
      summary.deferred += plan.missing - n;
      const usage = n > 0 ? await usageOptions(tx, deps.schema, plan.recipe.id) : [];
      for (let i = 0; i < n; i++) {
        try {
          const form = drawForm(plan.recipe.variables, usage, deps.random);
          const generation = renderGeneration(plan.recipe.kind, plan.recipe.template, form);
          await deps.produce({
            recipeId: plan.recipe.id,
            itemKey: uuidv7(),
            generation,
            source: pickSource(plan.recipe, deps.random),
            form,
          });
          line.started++;
          producing++;
        } catch (err) {
          // One recipe's trouble (no library source with its tag) never stops the others.
          line.failed++;
          deps.log.warn({ err: String(err), recipeId: plan.recipe.id }, 'backlog item could not be started');
          break;
        }
      }
      summary.started += line.started;
      summary.recipes.push(line);
    }
    return summary;
  });
}

/**
 * Runs maintenance in the background on request, never two passes at once in this process: a
 * request during a pass makes exactly one more pass after it (a burst of claims costs one or two
 * passes, not one each, and holds no database connection per waiting request).
 */
export function createMaintenanceKicker(run: () => Promise<MaintenanceSummary>, log: Logger) {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await run();
      } catch (err) {
        log.warn({ err: String(err) }, 'backlog maintenance failed; the scheduled run will try again');
      }
    } while (again);
    running = null;
  };
  return {
    kick: (): void => {
      if (running) again = true;
      else running = loop();
    },
    /** Resolves when no pass is running (shutdown, tests). */
    idle: async (): Promise<void> => {
      while (running) await running;
    },
  };
}
