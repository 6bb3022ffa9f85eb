import { commonSettings, env, loadConfig, type ConfigOf } from '@reelforge/service-kit';

export const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('scheduler'),
  HEALTH_PORT: env.port(8085),
  SCHEDULER_TIMEZONE: env.string('UTC'),
  SCHEDULER_CATCH_UP: env.durationMs('h', '1h'),
};
export type SchedulerConfig = ConfigOf<typeof configSpec>;
export const loadSchedulerConfig = (source: Record<string, string | undefined> = process.env): SchedulerConfig => loadConfig(configSpec, source);
