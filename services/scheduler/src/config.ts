import { commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';

const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('scheduler'),
  HEALTH_PORT: env.port(8085),
  SCHEDULER_TIMEZONE: env.string('UTC'),
  SCHEDULER_CATCH_UP: env.durationMs('h', '1h'),
  /** How long one job's command may take before the run is recorded as failed. */
  SCHEDULER_JOB_TIMEOUT: env.durationMs('ms', '10m'),
  /** A run's lease, renewed every third of it: a run not renewed for this long is marked died and retried. */
  SCHEDULER_LEASE: env.durationMs('ms', '1m'),
  /** How long POST /jobs/:name/run waits for the job; a longer one is answered as running (202). Keep it under the gateway's COMMAND_TIMEOUT. */
  SCHEDULER_MANUAL_RUN_WAIT: env.durationMs('ms', '3s'),
  /** Off: the service only answers commands (runs come from `scheduler run <job>`, e.g. CronJobs). */
  SCHEDULER_IN_PROCESS: env.bool(true),
  /** What `auto_generate_content` asks for per due account. */
  AUTO_GENERATE_TYPE: env.string('shorts'),
  AUTO_GENERATE_COUNT: env.int(1, 1, 100),
};
export type SchedulerConfig = ConfigOf<typeof configSpec>;
export const loadSchedulerConfig = (
  source: Record<string, string | undefined> = process.env,
  warn?: ConfigWarn,
): SchedulerConfig => loadConfig(configSpec, source, warn);
