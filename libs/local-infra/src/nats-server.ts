import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTool, TOOLS } from './tools.ts';
import { freePort, waitForPort } from './free-port.ts';

export interface NatsCredentials {
  user: string;
  password: string;
}

export interface RunningNats {
  /** The server's URL, without credentials: fit to print. */
  url: string;
  /** With `auth`: the URL with the credentials embedded (nats://user:password@…), for NATS_URL. Secret. */
  clientUrl: string;
  /** With `auth`: the user and password clients must present. */
  credentials: NatsCredentials | undefined;
  port: number;
  /** The server's process id (for status output and tests). */
  pid: number;
  stop(): Promise<void>;
}

/** A random user and password (hex, so they need no quoting in a URL or a config file). */
export function generateNatsCredentials(): NatsCredentials {
  return { user: `reelforge-${randomBytes(3).toString('hex')}`, password: randomBytes(24).toString('hex') };
}

/** `user:password@` for a URL, percent-encoded. */
function natsUrlWithCredentials(url: string, credentials: NatsCredentials): string {
  return url.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)/i,
    `$1${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`,
  );
}

/**
 * The server's settings (JetStream limits, the login) in a file only its owner reads: on the command line
 * (`--pass`) the password would show in every `ps` listing.
 */
function writeServerConfig(storeDir: string, credentials: NatsCredentials | undefined, syncAlways: boolean): string {
  const file = join(storeDir, 'server.conf');
  // JetStream reserves each stream's max_bytes against max_file_store (75 % of the free disk by
  // default); a test run makes dozens of namespaced stacks, so the reservation limit is lifted here.
  const jetstream = `jetstream {\n  max_file_store: 10TB\n${syncAlways ? '  sync_interval: always\n' : ''}}\n`;
  const auth = credentials
    ? `authorization {\n  user: ${JSON.stringify(credentials.user)}\n  password: ${JSON.stringify(credentials.password)}\n}\n`
    : '';
  writeFileSync(file, jetstream + auth, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/**
 * Starts `nats-server -js` on 127.0.0.1 with its JetStream store in `storeDir` (kept between runs
 * when the directory is kept). Port 0 picks a free port. With `auth`, clients must log in with
 * that user and password (either one missing is generated); JetStream works as without it.
 * `bin` runs that binary instead of the one on PATH, and `syncAlways` has JetStream fsync every
 * message before its PubAck (nats-server 2.10 and later; the benchmarks price it).
 */
export async function startNatsServer(options: {
  storeDir: string;
  port?: number;
  auth?: Partial<NatsCredentials>;
  log?: (line: string) => void;
  bin?: string;
  syncAlways?: boolean;
}): Promise<RunningNats> {
  const bin = options.bin ?? ensureTool(TOOLS.natsServer, options.log);
  mkdirSync(options.storeDir, { recursive: true });
  const port = options.port || (await freePort());
  let credentials: NatsCredentials | undefined;
  if (options.auth) {
    const fresh = generateNatsCredentials();
    credentials = { user: options.auth.user || fresh.user, password: options.auth.password || fresh.password };
  }
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', options.storeDir];
  args.unshift('-c', writeServerConfig(options.storeDir, credentials, options.syncAlways ?? false));
  const child: ChildProcess = spawn(bin, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`nats-server exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port), exited]);
  } catch (err) {
    // A server that never answered is not left behind.
    await stopChild(child);
    throw err;
  }
  const url = `nats://127.0.0.1:${port}`;
  return {
    url,
    clientUrl: credentials ? natsUrlWithCredentials(url, credentials) : url,
    credentials,
    port,
    pid: child.pid ?? 0,
    stop: () => stopChild(child),
  };
}

/** Sends `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
