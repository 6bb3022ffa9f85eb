import { readdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

/** Linux clock ticks per second (the unit of /proc's CPU times). */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * A process's CPU seconds (user + system) from /proc/<pid>/stat, its write syscalls (`syscw` of
 * /proc/<pid>/io: write and writev, on sockets, pipes and files alike) and its command name; null
 * once it is gone.
 */
async function processCpu(pid: string): Promise<{ comm: string; seconds: number; writes: number } | null> {
  const [stat, io] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null),
    readFile(`/proc/${pid}/io`, 'utf8').catch(() => ''),
  ]);
  if (!stat) return null;
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), counted here from `state` (field 3).
  const writes = Number(/^syscw: (\d+)$/m.exec(io)?.[1] ?? 0);
  return { comm, seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, writes };
}

export interface GroupUse {
  cpuSeconds: number;
  writes: number;
}

/**
 * CPU seconds and write syscalls so far, by group: the named processes (the services the bench
 * spawned, by pid), and every process whose command is one of `byCommand` (PostgreSQL's backends,
 * nats-server). Sampled before and after a run, the difference is what each spent on it (a process
 * that exits in between is lost: the bench's servers and connections outlive the run).
 */
export async function cpuByGroup(
  pids: Record<string, number>,
  byCommand: readonly string[] = ['postgres', 'nats-server'],
): Promise<Record<string, GroupUse>> {
  const out: Record<string, GroupUse> = {};
  const add = (group: string, p: { seconds: number; writes: number } | null) => {
    const g = (out[group] ??= { cpuSeconds: 0, writes: 0 });
    g.cpuSeconds += p?.seconds ?? 0;
    g.writes += p?.writes ?? 0;
  };
  for (const [name, pid] of Object.entries(pids)) add(name, await processCpu(String(pid)));
  const own = new Set(Object.values(pids).map(String));
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || own.has(pid)) continue;
    const p = await processCpu(pid);
    if (p && byCommand.includes(p.comm)) add(p.comm, p);
  }
  return out;
}

/** After minus before, per group. */
export function cpuSpent(before: Record<string, GroupUse>, after: Record<string, GroupUse>): Record<string, GroupUse> {
  return Object.fromEntries(
    Object.entries(after).map(([k, v]) => [
      k,
      { cpuSeconds: v.cpuSeconds - (before[k]?.cpuSeconds ?? 0), writes: v.writes - (before[k]?.writes ?? 0) },
    ]),
  );
}
