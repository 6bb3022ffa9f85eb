import { commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';

const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('backlog'),
  HEALTH_PORT: env.port(8083),
  /** Backlog items in production at once, across recipes: users' generations keep the rest of the render capacity. */
  BACKLOG_MAX_PRODUCING: env.int(3, 1, 1000),
  /** Ready items older than this are never handed out and are replaced (0 = items never age). */
  BACKLOG_ITEM_MAX_AGE: env.durationMs('d', '7d'),
  /** The adaptive minimum (next hour's expected claims) never goes above this. */
  BACKLOG_MAX_MINIMUM: env.int(50, 0, 100_000),
  /** How long the orchestrator has to answer a command (a claim, a count, a start). */
  COMMAND_TIMEOUT: env.durationMs('ms', '5s'),
  /** ack_wait of the claimed-facts consumer. */
  EVENT_ACK_WAIT: env.durationMs('s', '30s'),
  EVENT_MAX_DELIVERIES: env.int(10, 1, 1000),
};
export type BacklogConfig = ConfigOf<typeof configSpec>;
export const loadBacklogConfig = (
  source: Record<string, string | undefined> = process.env,
  warn?: ConfigWarn,
): BacklogConfig => loadConfig(configSpec, source, warn);
