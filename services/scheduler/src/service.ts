import { STREAMS, schedulerCommands } from '@reelforge/contracts';
import { serveCommand } from '@reelforge/messaging';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { createSchedulerCommands, findJob } from './commands/scheduler-commands.ts';
import { loadSchedulerConfig, type SchedulerConfig } from './config.ts';
import { migrations } from './migrations/index.ts';
import { runDueSlots, startCronLoop } from './runs/cron-loop.ts';
import type { JobDefinition } from './jobs/job-registry.ts';
import type { SlotOutcome } from './runs/run-slot.ts';
import { registerJobMetrics } from './observability/job-metrics.ts';
import { schedulerDeps } from './wiring.ts';

/** What a test (or an embedding process) gets back once the scheduler runs. */
export interface SchedulerHandle {
  jobs: JobDefinition[];
  /** Runs the due slots of one job at the clock's now (what a cron fire does). */
  runDue(job: string): Promise<SlotOutcome[]>;
}

export interface SchedulerOptions {
  clock?: () => Date;
  /** Overrides SCHEDULER_IN_PROCESS (tests drive the slots themselves). */
  inProcess?: boolean;
  onStarted?: (handle: SchedulerHandle) => void;
}

/**
 * The scheduler: owns `job_runs`, answers the job-run commands, and (SCHEDULER_IN_PROCESS) runs
 * every job on its cron in-process, each slot once across all processes (docs/operations.md, "Scheduled jobs").
 */
export function createSchedulerService(options: SchedulerOptions = {}): ServiceDefinition<SchedulerConfig> {
  const clock = options.clock ?? (() => new Date());
  return {
    name: 'scheduler',
    loadConfig: loadSchedulerConfig,
    entities: [],
    migrations,
    ownedStreams: [STREAMS.SCHEDULER],
    start: async (platform, config) => {
      const deps = schedulerDeps(platform, config, clock);
      registerJobMetrics(platform.metrics, platform.orm, platform.schema);
      const commands = createSchedulerCommands({ ...deps, manualRunWaitMs: config.SCHEDULER_MANUAL_RUN_WAIT });
      const c = schedulerCommands;
      const subs = [
        serveCommand(platform.messaging, c.listRuns, commands.listRuns, { log: platform.log, tracer: platform.tracer }),
        serveCommand(
          platform.messaging,
          c.runJob,
          commands.runJob,
          { log: platform.log, tracer: platform.tracer },
          { deadlineMs: config.SCHEDULER_JOB_TIMEOUT },
        ),
      ];
      platform.shutdown.add('commands', async () => {
        for (const sub of subs) await sub.drain();
      });
      if (options.inProcess ?? config.SCHEDULER_IN_PROCESS) {
        const loop = startCronLoop(deps);
        platform.shutdown.add('cron', () => loop.stop());
      }
      options.onStarted?.({
        jobs: deps.jobs,
        runDue: (name) => runDueSlots(deps, findJob(deps.jobs, name)),
      });
    },
    healthPort: (c) => c.HEALTH_PORT,
  };
}

export const schedulerService: ServiceDefinition<SchedulerConfig> = createSchedulerService();
