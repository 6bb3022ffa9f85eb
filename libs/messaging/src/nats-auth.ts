import { accessSync, constants, readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';

/**
 * The environment variables that carry NATS credentials and TLS material. None is required: a
 * server without authorization needs none. Files are named by path, never passed inline, so a
 * secret never sits in the process environment or in a printed configuration.
 */
export interface NatsAuthSettings {
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_TOKEN?: string | undefined;
  NATS_NKEY_SEED_FILE?: string | undefined;
  NATS_CREDS_FILE?: string | undefined;
  NATS_TLS_CA_FILE?: string | undefined;
  NATS_TLS_CERT_FILE?: string | undefined;
  NATS_TLS_KEY_FILE?: string | undefined;
}

export const NATS_AUTH_VARIABLES = [
  'NATS_USER',
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'NATS_NKEY_SEED_FILE',
  'NATS_CREDS_FILE',
  'NATS_TLS_CA_FILE',
  'NATS_TLS_CERT_FILE',
  'NATS_TLS_KEY_FILE',
] as const satisfies readonly (keyof NatsAuthSettings)[];

/** Bad NATS auth settings; the message names the variable and never holds a secret or a file's contents. */
export class NatsAuthError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsAuthError';
    this.variable = variable;
  }
}

/** What `connect` needs besides its own tuning: servers without credentials, and how to authenticate. */
export type NatsConnectOptions = Pick<NodeConnectionOptions, 'user' | 'pass' | 'token' | 'authenticator' | 'tls'> & {
  servers: string[];
};

/** The NATS_* auth variables of an environment (empty ones count as unset). */
export function natsAuthFromEnv(env: Record<string, string | undefined> = process.env): NatsAuthSettings {
  const out: NatsAuthSettings = {};
  for (const name of NATS_AUTH_VARIABLES) if (env[name]) out[name] = env[name];
  return out;
}

interface ServerEntry {
  /** `nats://`, `tls://`… or '' when the entry has no scheme (`host:4222`). */
  scheme: string;
  /** Raw (still percent-encoded) text before the last `@`, if any. */
  userinfo: string | undefined;
  hostPort: string;
}

function splitServers(url: string): ServerEntry[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(entry)?.[0] ?? '';
      const rest = entry.slice(scheme.length);
      // The last `@`: an unencoded `@` in a password still ends up in the userinfo.
      const at = rest.lastIndexOf('@');
      return {
        scheme,
        userinfo: at >= 0 ? rest.slice(0, at) : undefined,
        hostPort: (at >= 0 ? rest.slice(at + 1) : rest).replace(/\/+$/, ''),
      };
    });
}

/** NATS_URL fit to print: `nats://user:***@host:4222`, a bare token as `***`. */
export function redactNatsUrl(url: string): string {
  return splitServers(url)
    .map(({ scheme, userinfo, hostPort }) => {
      if (userinfo === undefined || userinfo === '') return `${scheme}${hostPort}`;
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@${hostPort}`;
    })
    .join(',');
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

type UrlCredentials = { user: string; pass: string } | { token: string } | undefined;

/**
 * nats.js does not read `user:pass@` from a server URL (the server answers Authorization
 * Violation), so the credentials are taken out here and the servers are given without them.
 */
export function parseNatsUrl(url: string): { servers: string[]; credentials: UrlCredentials; tls: boolean } {
  const entries = splitServers(url);
  if (entries.length === 0) throw new NatsAuthError('NATS_URL', 'NATS_URL names no server');
  let credentials: UrlCredentials;
  let seen: string | undefined;
  for (const { userinfo } of entries) {
    if (!userinfo) continue;
    if (seen !== undefined && seen !== userinfo)
      throw new NatsAuthError('NATS_URL', 'NATS_URL gives different credentials for different servers');
    seen = userinfo;
    const colon = userinfo.indexOf(':');
    credentials =
      colon >= 0
        ? { user: decode(userinfo.slice(0, colon)), pass: decode(userinfo.slice(colon + 1)) }
        : { token: decode(userinfo) };
  }
  return {
    servers: entries.map((e) => `${e.scheme}${e.hostPort}`),
    credentials,
    tls: entries.some((e) => e.scheme.toLowerCase() === 'tls://'),
  };
}

/** Reads a secret file; a failure names the variable and the path, not what the file holds. */
function readSecretFile(variable: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new NatsAuthError(
      variable,
      `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function checkReadable(variable: string, path: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new NatsAuthError(
      variable,
      `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Proves an authenticator built from a file can sign, so a bad file fails at start, not at each reconnect. */
function checkSigns(variable: string, path: string, auth: Authenticator, expected: string): void {
  try {
    auth('reelforge-self-check');
  } catch {
    throw new NatsAuthError(variable, `${variable}: ${path} is not ${expected}`);
  }
}

/** The seed out of an NKey seed file (`nsc` writes the bare seed; comments around it are tolerated). */
function nkeySeed(variable: string, path: string): Uint8Array {
  const seed = /S[A-Z2-7]{57}/.exec(new TextDecoder().decode(readSecretFile(variable, path)))?.[0];
  if (!seed) throw new NatsAuthError(variable, `${variable}: ${path} holds no NKey seed`);
  return new TextEncoder().encode(seed);
}

/**
 * Turns NATS_URL and the NATS_* auth settings into nats.js connect options. One way to
 * authenticate: user/password (NATS_USER/NATS_PASSWORD, which win over `user:pass@` in the URL),
 * a token (NATS_TOKEN or `token@` in the URL), an NKey seed file or a `.creds` file. TLS (the CA,
 * a client certificate) combines with any of them and is required by `tls://` URLs. Key files are
 * re-read at every (re)connect, so a rotated file is picked up without a restart.
 */
export function natsConnectOptions(url: string, settings: NatsAuthSettings = {}): NatsConnectOptions {
  const parsed = parseNatsUrl(url);
  const fromUrl = parsed.credentials;
  const options: NatsConnectOptions = { servers: parsed.servers };
  /** Each way to log in that is given: the variable to blame, and how to name it. */
  const methods: { variable: string; label: string }[] = [];

  const user = settings.NATS_USER || (fromUrl && 'user' in fromUrl ? fromUrl.user : undefined);
  const pass = settings.NATS_PASSWORD || (fromUrl && 'pass' in fromUrl ? fromUrl.pass : undefined);
  if (pass !== undefined && !user)
    throw new NatsAuthError(
      'NATS_PASSWORD',
      'NATS_PASSWORD is set but no user is (NATS_USER, or nats://user:password@host in NATS_URL)',
    );
  if (user && pass === undefined) throw new NatsAuthError('NATS_PASSWORD', 'NATS_USER is set but NATS_PASSWORD is not');
  if (user && pass !== undefined) {
    options.user = user;
    options.pass = pass;
    methods.push(
      settings.NATS_USER
        ? { variable: 'NATS_USER', label: 'NATS_USER/NATS_PASSWORD' }
        : { variable: 'NATS_URL', label: 'user:password in NATS_URL' },
    );
  }

  const token = settings.NATS_TOKEN || (fromUrl && 'token' in fromUrl ? fromUrl.token : undefined);
  if (token) {
    options.token = token;
    methods.push(
      settings.NATS_TOKEN
        ? { variable: 'NATS_TOKEN', label: 'NATS_TOKEN' }
        : { variable: 'NATS_URL', label: 'a token in NATS_URL' },
    );
  }

  const seedFile = settings.NATS_NKEY_SEED_FILE;
  if (seedFile) {
    nkeySeed('NATS_NKEY_SEED_FILE', seedFile);
    options.authenticator = nkeyAuthenticator(() => nkeySeed('NATS_NKEY_SEED_FILE', seedFile));
    checkSigns('NATS_NKEY_SEED_FILE', seedFile, options.authenticator, 'a valid NKey seed');
    methods.push({ variable: 'NATS_NKEY_SEED_FILE', label: 'NATS_NKEY_SEED_FILE' });
  }

  const credsFile = settings.NATS_CREDS_FILE;
  if (credsFile) {
    readSecretFile('NATS_CREDS_FILE', credsFile);
    options.authenticator = credsAuthenticator(() => readSecretFile('NATS_CREDS_FILE', credsFile));
    checkSigns(
      'NATS_CREDS_FILE',
      credsFile,
      options.authenticator,
      'a NATS credentials file (a user JWT and an NKey seed, as nsc writes them)',
    );
    methods.push({ variable: 'NATS_CREDS_FILE', label: 'NATS_CREDS_FILE' });
  }

  const [, second] = methods;
  if (second)
    throw new NatsAuthError(
      second.variable,
      `NATS authentication is given more than one way (${methods.map((m) => m.label).join(', ')}): set only one`,
    );

  const { NATS_TLS_CA_FILE: caFile, NATS_TLS_CERT_FILE: certFile, NATS_TLS_KEY_FILE: keyFile } = settings;
  if (certFile && !keyFile)
    throw new NatsAuthError('NATS_TLS_KEY_FILE', 'NATS_TLS_CERT_FILE is set but NATS_TLS_KEY_FILE is not');
  if (keyFile && !certFile)
    throw new NatsAuthError('NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE is set but NATS_TLS_CERT_FILE is not');
  if (caFile) checkReadable('NATS_TLS_CA_FILE', caFile);
  if (certFile) checkReadable('NATS_TLS_CERT_FILE', certFile);
  if (keyFile) checkReadable('NATS_TLS_KEY_FILE', keyFile);
  if (parsed.tls || caFile || certFile) {
    // nats.js loads these itself, at each connect.
    options.tls = { ...(caFile ? { caFile } : {}), ...(certFile ? { certFile } : {}), ...(keyFile ? { keyFile } : {}) };
  }
  return options;
}
