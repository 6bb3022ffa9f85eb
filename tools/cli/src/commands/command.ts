import type { ParseArgsOptionsConfig } from 'node:util';
import type { ApiClient } from '../api-client.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliDeps } from '../io.ts';

export interface CommandContext {
  deps: CliDeps;
  /** Where `login` stores the credentials. */
  configPath: string;
  /** A client of the gateway from REELFORGE_URL / REELFORGE_TOKEN or the config file (NotLoggedInError without). */
  client(): Promise<ApiClient>;
}

/** One subcommand: its flags and arguments, its help, and what it does (it throws a CliError when that fails). */
export interface Command {
  name: string;
  summary: string;
  /** `reelforge <name> …`, the first line of its help and of a usage error. */
  usage: string;
  /** Lines after the usage in `--help`. */
  help: string;
  options: ParseArgsOptionsConfig;
  positionals: { names: readonly string[]; required: number };
  run(args: ParsedArgs, ctx: CommandContext): Promise<void>;
}

export const JSON_OPTION = { json: { type: 'boolean' } } as const satisfies ParseArgsOptionsConfig;
