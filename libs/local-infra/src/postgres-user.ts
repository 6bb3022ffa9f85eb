import { execFileSync, spawnSync } from 'node:child_process';

/** The user and group PostgreSQL runs as when the launcher is root. */
export interface UserIds {
  uid: number;
  gid: number;
}

/** The `postgres` user cannot reach a file or directory it needs, even after the launcher's remedies. */
export class PostgresAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresAccessError';
  }
}

/** PostgreSQL refuses to run as root: as root, run it as a `postgres` system user (created if missing). */
export function postgresUser(): UserIds | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', '--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * Whether `ids` can run `program args` successfully. Asked of the system by running it as that
 * user, not computed from mode bits, so ACLs, groups and every parent directory count.
 */
export function userCanRun(ids: UserIds, program: string, args: string[]): boolean {
  const result = spawnSync(program, args, { uid: ids.uid, gid: ids.gid, stdio: 'ignore', cwd: '/', timeout: 10_000 });
  return result.error === undefined && result.status === 0;
}

/** Whether `ids` can enter and write `dir` (what PostgreSQL needs of its data directory). */
export function userCanUseDirectory(ids: UserIds, dir: string): boolean {
  return userCanRun(ids, 'test', ['-x', dir, '-a', '-w', dir]);
}
