import { commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';

export const configSpec = { ...commonSettings, DB_SCHEMA: env.string('backlog'), HEALTH_PORT: env.port(8083) };
export type BacklogConfig = ConfigOf<typeof configSpec>;
export const loadBacklogConfig = (source: Record<string, string | undefined> = process.env, warn?: ConfigWarn): BacklogConfig => loadConfig(configSpec, source, warn);
