import { TASK_STATUSES, type TaskStatus } from '../api-types.ts';
import { flag, integerArg, optionalString, uuidArg } from '../args.ts';
import { UsageError } from '../errors.ts';
import { formatTable, printJson } from '../output.ts';
import { JSON_OPTION, type Command } from './command.ts';

const usage = 'reelforge tasks [--account <id>] [--status <status>] [--limit N] [--cursor C] [--json]';

const isStatus = (s: string): s is TaskStatus => (TASK_STATUSES as readonly string[]).includes(s);

export const tasksCommand: Command = {
  name: 'tasks',
  summary: 'list tasks, newest first',
  usage,
  help: [
    `Lists your tasks (GET /api/v1/tasks). --status is one of ${TASK_STATUSES.join(', ')}.`,
    'When there are more, the cursor of the next page is printed to stderr.',
  ].join('\n'),
  options: {
    account: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    ...JSON_OPTION,
  },
  positionals: { names: [], required: 0 },
  async run({ values }, ctx) {
    const account = optionalString(values, 'account');
    const status = optionalString(values, 'status');
    if (status !== undefined && !isStatus(status)) {
      throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}, got '${status}'`, usage);
    }
    const limit = optionalString(values, 'limit');
    const page = await (
      await ctx.client()
    ).listTasks({
      accountId: account === undefined ? undefined : uuidArg(account, '--account', usage),
      status,
      limit: limit === undefined ? undefined : integerArg(limit, '--limit', { min: 1, max: 100 }, usage),
      cursor: optionalString(values, 'cursor'),
    });
    const { stdout, stderr } = ctx.deps;
    if (flag(values, 'json')) {
      printJson(stdout, page);
      return;
    }
    if (page.items.length === 0) stdout.write('no tasks\n');
    else {
      stdout.write(
        formatTable(
          ['ID', 'STATUS', 'STAGE', 'PERCENT', 'ACCOUNT', 'CREATED'],
          page.items.map((t) => [t.id, t.status, t.stage, `${Math.floor(t.percent)}%`, t.accountId, t.createdAt]),
        ),
      );
    }
    if (page.nextCursor) stderr.write(`more: reelforge tasks --cursor ${page.nextCursor}\n`);
  },
};
