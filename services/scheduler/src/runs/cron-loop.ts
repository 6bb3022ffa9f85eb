import type { Logger } from 'pino';
import type { JobDefinition } from '../jobs/job-registry.ts';
import { onSchedule, slotsBetween, type Schedule } from '../jobs/slots.ts';
import { recordedSlots } from './job-run-store.ts';
import { runSlot, type RunSlotDeps, type SlotOutcome } from './run-slot.ts';

export interface CronLoopDeps extends RunSlotDeps {
  jobs: JobDefinition[];
  timezone: string;
  catchUpMs: number;
  clock: () => Date;
  log: Logger;
}

/**
 * Runs every slot of `job` that is due at `clock()` and has no live row: the current one and, within
 * SCHEDULER_CATCH_UP, missed ones (all of them or only the newest, per job). The same function
 * serves a cron fire, a start's catch-up and a retry of a died run.
 */
export async function runDueSlots(deps: CronLoopDeps, job: JobDefinition): Promise<SlotOutcome[]> {
  const now = deps.clock();
  const from = new Date(now.getTime() - deps.catchUpMs);
  const schedule: Schedule = { cron: job.cron, timezone: deps.timezone };
  // A slot exactly at the window's start still counts (slotsBetween is exclusive of `from`).
  const slots = slotsBetween(schedule, new Date(from.getTime() - 1), now);
  const done = await recordedSlots(deps, { job: job.name, from, to: now });
  // `latest`: only the newest slot counts; older missed ones are superseded by it, even once it ran.
  const missing = (job.catchUp === 'latest' ? slots.slice(-1) : slots).filter((s) => !done.has(s.getTime()));
  const outcomes: SlotOutcome[] = [];
  for (const slot of missing) outcomes.push(await runSlot(deps, job, slot));
  return outcomes;
}

/** The in-process scheduler: due slots on start, then each job on its cron. */
export function startCronLoop(deps: CronLoopDeps): { stop(): Promise<void> } {
  const running = new Set<Promise<unknown>>();
  const fire = (job: JobDefinition): Promise<void> => {
    const p = runDueSlots(deps, job).then(
      () => undefined,
      (err: unknown) => deps.log.error({ err: String(err), job: job.name }, 'scheduler could not run a job'),
    );
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };
  for (const job of deps.jobs) void fire(job);
  const timers = deps.jobs.map((job) => onSchedule({ cron: job.cron, timezone: deps.timezone }, () => fire(job)));
  return {
    stop: async () => {
      for (const t of timers) t.stop();
      // A run in flight finishes (its lease would otherwise make the slot wait for expiry).
      await Promise.allSettled([...running]);
    },
  };
}
