import { Cron } from 'croner';

/** A job's schedule: a cron expression read in a time zone (SCHEDULER_TIMEZONE). */
export interface Schedule {
  cron: string;
  timezone: string;
}

const patternOf = (s: Schedule) => new Cron(s.cron, { timezone: s.timezone, paused: true });

/** The latest instant ≤ `at` the schedule fires: the slot a run at `at` belongs to. */
export function slotAt(s: Schedule, at: Date): Date {
  const pattern = patternOf(s);
  // previousRuns is strictly before `at`; the next fire after it may be `at` itself.
  const before = pattern.previousRuns(1, at)[0];
  if (!before) throw new Error(`schedule ${s.cron} has no fire time before ${at.toISOString()}`);
  const next = pattern.nextRun(before);
  return next && next.getTime() <= at.getTime() ? next : before;
}

/** Every fire time in (`from`, `to`], oldest first, at most `limit` (the newest ones kept). */
export function slotsBetween(s: Schedule, from: Date, to: Date, limit = 100): Date[] {
  const pattern = patternOf(s);
  const out: Date[] = [];
  for (let next = pattern.nextRun(from); next && next.getTime() <= to.getTime(); next = pattern.nextRun(next)) {
    out.push(next);
    if (out.length > limit) out.shift();
  }
  return out;
}

/** Calls `fire` at each of the schedule's fire times until stopped (real time; croner protects against overlap). */
export function onSchedule(s: Schedule, fire: () => Promise<void>): { stop(): void } {
  const job = new Cron(s.cron, { timezone: s.timezone, protect: true }, async () => {
    await fire();
  });
  return { stop: () => job.stop() };
}
