import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { makeReachableDir } from './postgres-binaries.ts';
import { PostgresAccessError, userCanUseDirectory, type UserIds } from './postgres-user.ts';

/** Left in a data directory whose cluster lives elsewhere; holds that place's path. */
export const RELOCATED_MARKER = 'RELOCATED';

/**
 * Where the cluster for `dataDir` lives: `dataDir` itself, unless the launcher is root and the
 * `postgres` user cannot reach it (a checkout under /root or another 0700 directory). Opening the
 * user's private parents to everyone is not ours to do, so the cluster then lives in
 * `<sharedDir>/postgres-data/<hash of dataDir's path>` and `dataDir` keeps a RELOCATED marker
 * naming it. Deleting `dataDir` (e.g. `.data/`) removes the marker, and the next start finds the
 * orphan and begins afresh, as a fresh start promises.
 */
export function clusterDirectory(dataDir: string, ids: UserIds | undefined, sharedDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  if (ids) {
    chmodSync(dirname(dataDir), 0o755);
    chownSync(dataDir, ids.uid, ids.gid);
  }
  chmodSync(dataDir, 0o700);
  if (!ids || userCanUseDirectory(ids, dataDir)) return dataDir;

  const elsewhere = join(
    sharedDir,
    'postgres-data',
    createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16),
  );
  const marker = join(dataDir, RELOCATED_MARKER);
  const claimed = existsSync(marker) && readFileSync(marker, 'utf8').trim() === elsewhere;
  if (!claimed) rmSync(elsewhere, { recursive: true, force: true });
  makeReachableDir(sharedDir);
  makeReachableDir(join(sharedDir, 'postgres-data'));
  mkdirSync(elsewhere, { recursive: true });
  chownSync(elsewhere, ids.uid, ids.gid);
  chmodSync(elsewhere, 0o700);
  if (!claimed) writeFileSync(marker, `${elsewhere}\n`);
  if (!userCanUseDirectory(ids, elsewhere)) {
    throw new PostgresAccessError(
      `the postgres user cannot use ${elsewhere}: make ${sharedDir} and its parents searchable by others (chmod o+x), or set DATABASE_URL`,
    );
  }
  return elsewhere;
}
