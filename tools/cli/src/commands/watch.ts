import { flag, uuidArg } from '../args.ts';
import { WorkFailedError } from '../errors.ts';
import { watchGeneration } from '../watch-generation.ts';
import { JSON_OPTION, type Command } from './command.ts';

const usage = 'reelforge watch <generation id> [--json]';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'follow a running generation live until it ends',
  usage,
  help: 'As `generate --watch`, for a generation already started: exit 0 when it completed, 1 otherwise.',
  options: { ...JSON_OPTION },
  positionals: { names: ['<generation id>'], required: 1 },
  async run({ values, positionals }, ctx) {
    const id = uuidArg(positionals[0]!, '<generation id>', usage);
    const client = await ctx.client();
    const generation = await client.getGeneration(id);
    const result = await watchGeneration(client, ctx.deps, ctx.deps.stdout, generation, flag(values, 'json'));
    if (result.generation.status !== 'completed') {
      throw new WorkFailedError(`generation ${id} ended ${result.generation.status}`);
    }
  },
};
