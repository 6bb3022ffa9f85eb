import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Runs `fn` in the attempt's own directory (`<tempDir>/<taskId>/<attempt>`), cleared first and
 * always removed after, so a redelivered attempt never deletes the files of one still running. The
 * task's directory goes with its last attempt; another attempt still in it keeps it.
 */
export async function withWorkDir<T>(
  tempDir: string,
  taskId: string,
  attempt: number,
  fn: (work: string) => Promise<T>,
): Promise<T> {
  const taskDir = join(tempDir, taskId);
  const work = join(taskDir, String(attempt));
  await rm(work, { recursive: true, force: true });
  await makeWorkDir(work);
  try {
    return await fn(work);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rmdir(taskDir).catch(() => undefined);
  }
}

/** mkdir -p, once more if another attempt's cleanup removed the (empty) task directory in between. */
async function makeWorkDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dir, { recursive: true });
  }
}
