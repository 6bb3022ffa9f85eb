import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError, LocalFileError, NotLoggedInError } from './errors.ts';
import type { Env } from './io.ts';

/** Where the gateway is and the bearer credential for it (a JWT or an `rf_…` API key). */
export interface Credentials {
  url: string;
  token: string;
}

/** `$REELFORGE_CONFIG`, else `$XDG_CONFIG_HOME/reelforge/config.json`, else `~/.config/reelforge/config.json`. */
export function configPath(env: Env, homedir: string): string {
  if (env.REELFORGE_CONFIG) return env.REELFORGE_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir, '.config'), 'reelforge', 'config.json');
}

/** The gateway's base URL as the client joins paths to it: no trailing slash, no `/api/v1`. */
export function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/** The stored credentials; undefined when there is no file. */
export async function readConfigFile(path: string): Promise<Partial<Credentials> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the config file ${path} is not JSON: log in again`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`the config file ${path} is not a JSON object: log in again`);
  }
  const { url, token } = parsed as Record<string, unknown>;
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof token === 'string' ? { token } : {}),
  };
}

/** `REELFORGE_URL` and `REELFORGE_TOKEN` each override the config file. */
export async function resolveCredentials(env: Env, path: string): Promise<Credentials> {
  const fromEnv = { url: env.REELFORGE_URL || undefined, token: env.REELFORGE_TOKEN || undefined };
  const fromFile = fromEnv.url && fromEnv.token ? undefined : await readConfigFile(path);
  const url = fromEnv.url ?? fromFile?.url;
  const token = fromEnv.token ?? fromFile?.token;
  if (!url) throw new NotLoggedInError('gateway URL');
  if (!token) throw new NotLoggedInError('token');
  return { url: normaliseUrl(url), token };
}

/**
 * Writes the credentials readable by the user only (0600, its directory 0700 when created here),
 * through a temporary file and a rename, so a reader never sees half a file.
 */
export async function saveCredentials(path: string, credentials: Credentials): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600); // the umask may have taken bits off; never on.
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new LocalFileError(`cannot write the config file ${path}: ${(err as Error).message}`, { cause: err });
  }
}
