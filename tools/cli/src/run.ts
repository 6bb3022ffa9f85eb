import { createApiClient } from './api-client.ts';
import { flag, parseCommandArgs } from './args.ts';
import { accountsCommand } from './commands/accounts.ts';
import type { Command, CommandContext } from './commands/command.ts';
import { downloadCommand } from './commands/download.ts';
import { generateCommand } from './commands/generate.ts';
import { loginCommand } from './commands/login.ts';
import { cancelCommand, retryCommand } from './commands/task-actions.ts';
import { tasksCommand } from './commands/tasks.ts';
import { uploadCommand } from './commands/upload.ts';
import { watchCommand } from './commands/watch.ts';
import { configPath, resolveCredentials } from './config.ts';
import { CliError, EXIT, UsageError, type ExitCode } from './errors.ts';
import type { CliDeps } from './io.ts';
import pkg from '../package.json' with { type: 'json' };

export const COMMANDS: readonly Command[] = [
  loginCommand,
  accountsCommand,
  uploadCommand,
  generateCommand,
  watchCommand,
  tasksCommand,
  cancelCommand,
  retryCommand,
  downloadCommand,
];

const USAGE = 'reelforge <command> [flags]   (reelforge <command> --help for its flags)';

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'reelforge: a command-line client of the Reelforge gateway',
    '',
    `usage: ${USAGE}`,
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Credentials: REELFORGE_URL and REELFORGE_TOKEN when set, else the file `reelforge login` writes',
    '($REELFORGE_CONFIG, default ~/.config/reelforge/config.json).',
    'Exit codes: 0 success; 1 the work failed or was cancelled, or the API refused the request (its error',
    'code and message are printed); 2 usage error; 3 authentication or permission refused; 4 the gateway',
    'unreachable or answering 5xx.',
    '',
  ].join('\n');
}

const commandHelp = (c: Command) => `usage: ${c.usage}\n\n${c.summary}.\n${c.help}\n`;

/** Runs one command line (without `node` and the script) and says how the process should exit. */
export async function run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    deps.stdout.write(generalHelp());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    deps.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  if (name === 'help') return run([rest[0]!, '--help'], deps);
  if (name === undefined) return report(deps, new UsageError('no command given', USAGE));
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return report(deps, new UsageError(`unknown command '${name}'`, USAGE));

  const path = configPath(deps.env, deps.homedir);
  const ctx: CommandContext = {
    deps,
    configPath: path,
    client: async () => createApiClient(await resolveCredentials(deps.env, path), deps.fetch),
  };
  try {
    const args = parseCommandArgs(
      rest,
      { ...command.options, help: { type: 'boolean', short: 'h' } },
      // --help needs no arguments: count them after it is ruled out.
      rest.includes('--help') || rest.includes('-h') ? { ...command.positionals, required: 0 } : command.positionals,
      command.usage,
    );
    if (flag(args.values, 'help')) {
      deps.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    await command.run(args, ctx);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError && err.usage === undefined) err.usage = command.usage;
    return report(deps, err);
  }
}

function report(deps: CliDeps, err: unknown): ExitCode {
  if (err instanceof UsageError) {
    deps.stderr.write(`reelforge: ${err.message}\nusage: ${err.usage ?? USAGE}\n`);
    return err.exitCode;
  }
  if (err instanceof CliError) {
    deps.stderr.write(`reelforge: ${err.describe()}\n`);
    return err.exitCode;
  }
  // A bug of ours: say so with the stack, rather than pretend the work failed.
  deps.stderr.write(`reelforge: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failed;
}
