import { hostname } from 'node:os';
import { uuidv7 } from '@reelforge/contracts';
import { sendCommand } from '@reelforge/messaging';
import type { Platform } from '@reelforge/service-kit';
import type { SchedulerConfig } from './config.ts';
import { buildJobs, type JobDefinition } from './jobs/job-registry.ts';
import type { CronLoopDeps } from './runs/cron-loop.ts';

/** Everything a run needs on a started platform (the service and `scheduler run` share it). */
export function schedulerDeps(
  platform: Platform,
  config: SchedulerConfig,
  clock: () => Date,
): CronLoopDeps & { jobs: JobDefinition[] } {
  const jobs = buildJobs({
    send: (decl, request, owner) =>
      sendCommand(platform.messaging, decl, request, {
        timeoutMs: config.SCHEDULER_JOB_TIMEOUT,
        owner,
        log: platform.log,
      }),
    autoGenerate: { type: config.AUTO_GENERATE_TYPE, count: config.AUTO_GENERATE_COUNT },
    pruneIntervalMs: config.PRUNE_INTERVAL,
  });
  return {
    fork: () => platform.orm.em.fork(),
    schema: platform.schema,
    // Unique per process: only the lease's holder renews or finishes its run.
    holder: `${hostname()}:${process.pid}:${uuidv7()}`,
    leaseMs: config.SCHEDULER_LEASE,
    log: platform.log,
    jobs,
    timezone: config.SCHEDULER_TIMEZONE,
    catchUpMs: config.SCHEDULER_CATCH_UP,
    clock,
  };
}
