import { commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';

const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('orchestrator'),
  HEALTH_PORT: env.port(8081),
  STUCK_GENERATION_AFTER: env.durationMs('h', '3h'),
  LOCK_EXPIRY: env.durationMs('h', '3h'),
  DEFAULT_GENERATION_COUNT: env.int(1, 1, 100),
  /** Credits each video of a generation costs, debited at start and refunded if it fails (0 = generations are free). */
  GENERATION_CREDIT_COST: env.int(0, 0, 1_000_000),
  /** ack_wait of the task-status consumer; the handler is short, so redelivery after a crash is quick. */
  EVENT_ACK_WAIT: env.durationMs('s', '30s'),
  /** Deliveries of a task event before it is dead-lettered (and its generation recounted). */
  EVENT_MAX_DELIVERIES: env.int(10, 1, 1000),
};

export type OrchestratorConfig = ConfigOf<typeof configSpec>;

export function loadOrchestratorConfig(
  source: Record<string, string | undefined> = process.env,
  warn?: ConfigWarn,
): OrchestratorConfig {
  return loadConfig(configSpec, source, warn);
}
