import { flag } from '../args.ts';
import { formatTable, printJson } from '../output.ts';
import { JSON_OPTION, type Command } from './command.ts';

export const accountsCommand: Command = {
  name: 'accounts',
  summary: 'list your accounts',
  usage: 'reelforge accounts [--json]',
  help: 'Lists the accounts of the credential (GET /api/v1/accounts); --json prints the API answer as it is.',
  options: { ...JSON_OPTION },
  positionals: { names: [], required: 0 },
  async run({ values }, ctx) {
    const { items } = await (await ctx.client()).listAccounts();
    const out = ctx.deps.stdout;
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
