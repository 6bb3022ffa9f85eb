import { flag } from '../args.ts';
import { UsageError } from '../errors.ts';
import { formatTable, printJson } from '../output.ts';
import { JSON_OPTION, type Command } from './command.ts';

const USAGE = 'reelforge accounts [create <name>] [--json]';

export const accountsCommand: Command = {
  name: 'accounts',
  summary: 'list your accounts, or create one',
  usage: USAGE,
  help: [
    'Lists the accounts of the credential (GET /api/v1/accounts);',
    '`accounts create <name>` creates one and prints its id (POST /api/v1/accounts).',
    '--json prints the API answer as it is.',
  ].join('\n'),
  options: { ...JSON_OPTION },
  positionals: { names: ['create', 'name'], required: 0 },
  async run({ values, positionals }, ctx) {
    const out = ctx.deps.stdout;
    if (positionals.length > 0) {
      const [action, name] = positionals;
      if (action !== 'create') throw new UsageError(`unknown action '${action!}' (only 'create')`, USAGE);
      if (!name?.trim()) throw new UsageError('missing name', USAGE);
      const account = await (await ctx.client()).createAccount(name.trim());
      if (flag(values, 'json')) printJson(out, account);
      else out.write(`${account.id}\n`);
      return;
    }
    const { items } = await (await ctx.client()).listAccounts();
    if (flag(values, 'json')) {
      printJson(out, { items });
      return;
    }
    if (items.length === 0) {
      out.write('no accounts\n');
      return;
    }
    out.write(
      formatTable(
        ['ID', 'NAME', 'TIMEZONE', 'CREATED'],
        items.map((a) => [a.id, a.name, a.timezone, a.createdAt]),
      ),
    );
  },
};
