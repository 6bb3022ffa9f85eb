import { commonSettings, env, loadConfig, type ConfigOf } from '@reelforge/service-kit';

export const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('notifier'),
  HEALTH_PORT: env.port(8084),
  SMTP_URL: env.optionalString(),
  MAIL_FROM: env.string('Reelforge <no-reply@localhost>'),
};
export type NotifierConfig = ConfigOf<typeof configSpec>;
export const loadNotifierConfig = (source: Record<string, string | undefined> = process.env): NotifierConfig => loadConfig(configSpec, source);
