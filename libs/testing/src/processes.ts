import { readdir, readlink } from 'node:fs/promises';

/**
 * Pids of processes whose working directory is `dir` or inside it. The repurposer runs every
 * ffmpeg in its task's own directory, so this finds a task's ffmpeg without parsing command lines.
 */
export async function processesWorkingIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry));
  }
  return pids;
}

/** Pids of processes working in a directory named `name` anywhere, or below it (a task's directory is its id, with one directory per attempt inside). */
export async function processesWorkingInDirNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cwd.endsWith(`/${name}`) || cwd.includes(`/${name}/`)) pids.push(Number(entry));
  }
  return pids;
}
