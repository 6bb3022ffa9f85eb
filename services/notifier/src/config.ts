import { commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';

const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('notifier'),
  HEALTH_PORT: env.port(8084),
  SMTP_URL: env.optionalString(),
  MAIL_FROM: env.string('Reelforge <no-reply@localhost>'),
  /** Without SMTP_URL, mails are written here as .eml files (a local user reads them there). */
  MAIL_DIR: env.string('.data/mail'),
  /** Backoff of a mail that could not be handed over: doubles from the first delay up to the cap. */
  MAIL_RETRY_INITIAL: env.durationMs('ms', '1s'),
  MAIL_RETRY_MAX: env.durationMs('ms', '5m'),
  MAIL_MAX_ATTEMPTS: env.int(8, 1, 100),
  /** How often due mails are looked for (also right after a mail is queued). */
  MAIL_POLL_INTERVAL: env.durationMs('ms', '1s'),
  /** http and private or loopback webhook targets: local development and tests only. */
  WEBHOOK_URL_ALLOW_PRIVATE: env.bool(false),
  /** How long an endpoint has to answer a delivery. */
  WEBHOOK_TIMEOUT: env.durationMs('s', '10s'),
  /** Retries of a failed delivery double from the first wait up to the cap: about 17 hours over 12 attempts by default. */
  WEBHOOK_RETRY_INITIAL: env.durationMs('s', '30s'),
  WEBHOOK_RETRY_MAX: env.durationMs('s', '2h'),
  WEBHOOK_MAX_ATTEMPTS: env.int(12, 1, 100),
  /** A webhook is switched off after this many failed attempts in a row (any success resets the run). */
  WEBHOOK_DISABLE_AFTER: env.int(20, 1, 10_000),
  WEBHOOK_CONCURRENCY: env.int(8, 1, 256),
  WEBHOOK_POLL_INTERVAL: env.durationMs('ms', '1s'),
  WEBHOOKS_PER_OWNER: env.int(20, 1, 1000),
  /** Read notifications are deleted this long after being read; finished mails (and their attempts) this long after they finished. */
  NOTIFICATION_RETENTION: env.durationMs('d', '90d'),
  MAIL_RETENTION: env.durationMs('d', '30d'),
  /** Finished webhook deliveries (and their attempts) are deleted this long after they finished. */
  WEBHOOK_RETENTION: env.durationMs('d', '30d'),
  /** How long a fact may stay unacked before JetStream redelivers it, and how often before it is dead-lettered. */
  EVENT_ACK_WAIT: env.durationMs('s', '30s'),
  EVENT_MAX_DELIVERIES: env.int(10, 1, 1000),
};
export type NotifierConfig = ConfigOf<typeof configSpec>;
export const loadNotifierConfig = (
  source: Record<string, string | undefined> = process.env,
  warn?: ConfigWarn,
): NotifierConfig => loadConfig(configSpec, source, warn);
