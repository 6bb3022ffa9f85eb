// One launcher per data directory: two stacks on the same .data/ would fight over PostgreSQL's and
// NATS's files. The lock is a file holding the owner's PID; a lock whose owner is gone (a crash, a
// SIGKILL) is stale and taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Another launcher holds the lock. */
export class StackAlreadyRunningError extends Error {
  readonly pid: number;
  readonly lockFile: string;
  constructor(pid: number, lockFile: string) {
    super(
      `another Reelforge stack is already running on this data directory (PID ${pid}, lock ${lockFile}); stop it first (Ctrl-C in its terminal, or kill ${pid})`,
    );
    this.name = 'StackAlreadyRunningError';
    this.pid = pid;
    this.lockFile = lockFile;
  }
}

export interface Lock {
  /** Whether a stale lock (its owner gone) was taken over, and whose it was. */
  readonly tookOverFrom: number | undefined;
  release(): void;
}

/**
 * Whether `pid` is a live process that could be a launcher: it exists, and (where /proc tells) its
 * command line names `marker`, so a PID reused by an unrelated process after a crash reads as stale.
 */
export function isLiveOwner(pid: number, marker: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg.includes(marker));
  } catch {
    return true; // no /proc here: existence is all we know
  }
}

const readOwner = (file: string): number | undefined => {
  try {
    return Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
};

/**
 * Takes `file` for this process, or throws StackAlreadyRunningError naming the live owner. Only
 * the lock file is written: a refused launcher leaves the data directory as it found it.
 */
export function acquireLock(file: string, marker: string): Lock {
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(file);
      if (owner !== undefined && owner !== process.pid && isLiveOwner(owner, marker))
        throw new StackAlreadyRunningError(owner, file);
      tookOverFrom = owner;
      rmSync(file, { force: true });
      continue;
    }
    // Two launchers taking over the same stale lock at once: the later write wins, the other yields.
    const owner = readOwner(file);
    if (owner !== process.pid) {
      if (owner !== undefined && isLiveOwner(owner, marker)) throw new StackAlreadyRunningError(owner, file);
      continue;
    }
    return {
      tookOverFrom,
      release: () => {
        if (readOwner(file) === process.pid) rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`);
}
