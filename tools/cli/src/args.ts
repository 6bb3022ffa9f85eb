import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './errors.ts';

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `util.parseArgs`, strict, with its complaints turned into a UsageError carrying `usage`. */
export function parseCommandArgs(
  argv: readonly string[],
  options: ParseArgsOptionsConfig,
  positionals: { names: readonly string[]; required: number },
  usage: string,
): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs' messages name the flag and say what is wrong with it; the hint after it is about JS code.
    const text = err instanceof Error ? err.message.split('. To specify')[0]!.split('\n')[0]! : String(err);
    throw new UsageError(text.replace(/\.$/, ''), usage);
  }
  const { positionals: given } = parsed;
  if (given.length < positionals.required) {
    throw new UsageError(`missing ${positionals.names.slice(given.length, positionals.required).join(' ')}`, usage);
  }
  if (given.length > positionals.names.length) {
    throw new UsageError(`unexpected argument '${given[positionals.names.length]!}'`, usage);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string' || typeof value === 'boolean') values[name] = value;
  }
  return { values, positionals: given };
}

export function optionalString(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A UUID (every id in the API is one); anything else is a usage error, not a round trip. */
export function uuidArg(value: string, what: string, usage: string): string {
  if (!UUID.test(value)) throw new UsageError(`${what} must be a UUID, got '${value}'`, usage);
  return value.toLowerCase();
}

export function integerArg(value: string, what: string, range: { min: number; max: number }, usage: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`${what} must be a whole number from ${range.min} to ${range.max}, got '${value}'`, usage);
  }
  return n;
}

export function httpUrlArg(value: string, what: string, usage: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what} must be an http(s) URL, got '${value}'`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${what} must be an http(s) URL, got '${value}'`, usage);
  }
  return url;
}
