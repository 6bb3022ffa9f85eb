import type { ApiClient } from '../api-client.ts';
import type { Task } from '../api-types.ts';
import { flag, uuidArg } from '../args.ts';
import { printJson } from '../output.ts';
import { JSON_OPTION, type Command } from './command.ts';

function taskAction(
  name: 'cancel' | 'retry',
  summary: string,
  help: string,
  call: (client: ApiClient, taskId: string) => Promise<Task>,
): Command {
  const usage = `reelforge ${name} <task id> [--json]`;
  return {
    name,
    summary,
    usage,
    help,
    options: { ...JSON_OPTION },
    positionals: { names: ['<task id>'], required: 1 },
    async run({ values, positionals }, ctx) {
      const taskId = uuidArg(positionals[0]!, '<task id>', usage);
      const task = await call(await ctx.client(), taskId);
      if (flag(values, 'json')) printJson(ctx.deps.stdout, task);
      else ctx.deps.stdout.write(`task ${task.id}: ${task.status} (series ${task.series}, stage ${task.stage})\n`);
    },
  };
}

export const cancelCommand = taskAction(
  'cancel',
  'cancel a task',
  'Cancels a task (POST /api/v1/tasks/:id/cancel): a queued one at once, a running one once its ffmpeg is\nstopped (`cancelling` until then). A task that already ended is refused (CONFLICT, exit 1).',
  (client, id) => client.cancelTask(id),
);

export const retryCommand = taskAction(
  'retry',
  'run a failed or cancelled task again',
  'Re-queues a failed or cancelled task as a new series (POST /api/v1/tasks/:id/retry); its generation\nreopens. Any other task is refused (CONFLICT, exit 1).',
  (client, id) => client.retryTask(id),
);
