import { readdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A process's CPU seconds (user + system) from /proc/<pid>/stat, and its command name; null once it is gone. */
async function processCpu(pid: string): Promise<{ comm: string; seconds: number } | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), counted here from `state` (field 3).
  return { comm, seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
}

/**
 * CPU seconds used so far, by group: the named processes (the services the bench spawned, by pid),
 * and every process whose command is one of `byCommand` (PostgreSQL's backends, nats-server).
 * Sampled before and after a run, the difference is what each spent on it (a process that exits
 * in between is lost: the bench's servers and connections outlive the run).
 */
export async function cpuByGroup(
  pids: Record<string, number>,
  byCommand: readonly string[] = ['postgres', 'nats-server'],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = (await processCpu(String(pid)))?.seconds ?? 0;
  const own = new Set(Object.values(pids).map(String));
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || own.has(pid)) continue;
    const p = await processCpu(pid);
    if (p && byCommand.includes(p.comm)) out[p.comm] = (out[p.comm] ?? 0) + p.seconds;
  }
  return out;
}

/** After minus before, per group. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}
