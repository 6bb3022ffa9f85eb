// A launcher that died without stopping its stack (SIGKILL, a crash) leaves its services, NATS and
// PostgreSQL running: they hold the ports and the files under the data directory. The launcher that
// takes over its lock stops them first, from the PIDs the dead one recorded in stack.json.
import { isLiveOwner } from './lock.ts';
import type { StackStatus } from './status.ts';

export interface Leftover {
  name: string;
  pid: number;
  /** Text its command line must contain: a PID reused by an unrelated process is left alone. */
  marker: string;
  /** How it stops cleanly (PostgreSQL: SIGINT, its fast shutdown). */
  signal: NodeJS.Signals;
}

/** The processes `previous` recorded, services first (they use the servers). */
export function leftoversOf(previous: StackStatus): Leftover[] {
  const services = Object.entries(previous.services).flatMap(([name, s]) =>
    s.pid ? [{ name, pid: s.pid, marker: `services/${name}/src/main.ts`, signal: 'SIGTERM' as const }] : [],
  );
  const servers = Object.entries(previous.servers ?? {}).map(([name, s]) => ({
    name,
    pid: s.pid,
    marker: s.marker,
    signal: name === 'postgres' ? ('SIGINT' as const) : ('SIGTERM' as const),
  }));
  return [...services, ...servers];
}

/** Sends `signal`; false when the process is already gone (it may exit between the check and the kill). */
const signalled = (pid: number, signal: NodeJS.Signals | 0): boolean => {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
};

async function stopOne(leftover: Leftover, graceMs: number): Promise<void> {
  if (!signalled(leftover.pid, leftover.signal)) return;
  const deadline = Date.now() + graceMs;
  // Not our child: no exit event to await, so poll until it is gone.
  while (signalled(leftover.pid, 0)) {
    if (Date.now() > deadline) {
      signalled(leftover.pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the leftovers that are still alive (services together, then each server); returns what it stopped. */
export async function stopLeftovers(leftovers: Leftover[], graceMs = 20_000): Promise<Leftover[]> {
  const alive = leftovers.filter((l) => isLiveOwner(l.pid, l.marker));
  const services = alive.filter((l) => l.marker.startsWith('services/'));
  await Promise.all(services.map((l) => stopOne(l, graceMs)));
  for (const server of alive.filter((l) => !services.includes(l))) await stopOne(server, graceMs);
  return alive;
}
