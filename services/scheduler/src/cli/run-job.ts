import { DomainError, STREAMS } from '@reelforge/contracts';
import { startPlatform } from '@reelforge/service-kit';
import { findJob } from '../commands/scheduler-commands.ts';
import { loadSchedulerConfig } from '../config.ts';
import { slotAt } from '../jobs/slots.ts';
import { migrations } from '../migrations/index.ts';
import { runSlot } from '../runs/run-slot.ts';
import { schedulerDeps } from '../wiring.ts';

/** Exit codes: 0 the slot ran and succeeded, or another run already has it; 1 it failed; 2 no such job. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * `scheduler run <job>` (the CronJobs' command): runs the job's current slot once — or, when
 * another process has already run it or runs it now, says so — prints the run as JSON and returns
 * the exit code.
 */
export async function runJobCommand(
  name: string,
  env: Record<string, string | undefined>,
  clock: () => Date = () => new Date(),
): Promise<number> {
  const configWarnings: string[] = [];
  const config = loadSchedulerConfig(env, (w) => configWarnings.push(w));
  const platform = await startPlatform({
    service: 'scheduler',
    config,
    configWarnings,
    schema: config.DB_SCHEMA,
    entities: [],
    migrations,
    ownedStreams: [STREAMS.SCHEDULER],
  });
  try {
    const deps = schedulerDeps(platform, config, clock);
    let job;
    try {
      job = findJob(deps.jobs, name);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      process.stderr.write(`scheduler: ${err.message}\n`);
      return EXIT.usage;
    }
    const slot = slotAt({ cron: job.cron, timezone: config.SCHEDULER_TIMEZONE }, clock());
    const result = await runSlot(deps, job, slot);
    process.stdout.write(`${JSON.stringify({ outcome: result.outcome, ...result.run })}\n`);
    if (result.outcome === 'taken') return EXIT.ok;
    return result.run.status === 'succeeded' ? EXIT.ok : EXIT.failed;
  } finally {
    await platform.shutdown.run('done');
  }
}
