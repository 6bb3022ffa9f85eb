import type { BacklogStock } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { perScrape, type Metrics } from '@reelforge/telemetry';
import { activeRecipes } from '../recipes/recipe-rows.ts';

/**
 * The backlog's level per active recipe, read when scraped: ready (fresh) items, items being made,
 * and stale ones. The counts are the orchestrator's (it owns the items): one stock command per scrape.
 */
export function registerBacklogMetrics(
  metrics: Metrics,
  deps: {
    fork: () => EntityManager;
    schema: string;
    stock: (recipeIds: string[]) => Promise<{ recipes: BacklogStock[] }>;
  },
): void {
  // The three gauges of one scrape share one answer.
  const levels = perScrape(async () => {
    const recipes = await activeRecipes(deps.fork(), deps.schema);
    return recipes.length ? (await deps.stock(recipes.map((r) => r.id))).recipes : [];
  });
  const gauge = (name: string, help: string, value: (s: BacklogStock) => number) =>
    metrics.gaugeFrom(name, help, ['recipe'], async (set) => {
      for (const s of await levels()) set({ recipe: s.recipeId }, value(s));
    });
  gauge('reelforge_backlog_ready_items', 'Backlog items ready to claim, per recipe', (s) => s.ready);
  gauge('reelforge_backlog_producing_items', 'Backlog items being made, per recipe', (s) => s.producing);
  gauge('reelforge_backlog_stale_items', 'Backlog items too old to hand out, per recipe', (s) => s.stale);
}
