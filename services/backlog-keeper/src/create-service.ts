import { recipeCommands } from '@reelforge/contracts';
import { serveCommand } from '@reelforge/messaging';
import type { Platform } from '@reelforge/service-kit';
import { createRecipeCommands } from './recipes/recipe-commands.ts';

/** Wires the backlog-keeper onto a started platform: the recipe commands, drained at shutdown. */
export async function createBacklogKeeper(platform: Platform, clock: () => Date): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const recipes = createRecipeCommands({ fork: () => orm.em.fork(), schema, clock });
  const deps = { log, tracer };
  const subs = [
    serveCommand(m, recipeCommands.list, recipes.list, deps),
    serveCommand(m, recipeCommands.get, recipes.get, deps),
    serveCommand(m, recipeCommands.create, recipes.create, deps),
    serveCommand(m, recipeCommands.update, recipes.update, deps),
    serveCommand(m, recipeCommands.render, recipes.render, deps),
  ];
  platform.shutdown.add('commands', async () => {
    for (const sub of subs) await sub.drain();
  });
}
