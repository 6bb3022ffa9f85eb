import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadNotifierConfig, type NotifierConfig } from './config.ts';
import { SERVICE, createNotifier, type NotifierDeps } from './create-service.ts';
import { migrations } from './migrations/index.ts';

/**
 * Turns generation and task facts into in-app notifications per owner principal and serves them;
 * mails completions and digests and calls webhooks (docs/architecture.md). `deps` lets a test
 * inject its clock.
 */
export function createNotifierService(
  deps: NotifierDeps = { clock: () => new Date() },
): ServiceDefinition<NotifierConfig> {
  return {
    name: SERVICE,
    loadConfig: loadNotifierConfig,
    entities: [],
    migrations,
    ownedStreams: [STREAMS.NOTIFY],
    start: (platform, config) => createNotifier(platform, config, deps),
    healthPort: (c) => c.HEALTH_PORT,
    // Nothing grows forever: unread notifications stay until read; pending mails and deliveries until they finish.
    retention: (c) => [
      {
        name: 'read-notifications',
        table: 'notifications',
        where: 'read_at < now() - make_interval(secs => ?)',
        params: [c.NOTIFICATION_RETENTION / 1000],
      },
      {
        name: 'finished-mails',
        table: 'mail_deliveries',
        where: 'finished_at < now() - make_interval(secs => ?)',
        params: [c.MAIL_RETENTION / 1000],
      },
      {
        name: 'finished-webhook-deliveries',
        table: 'webhook_deliveries',
        where: 'finished_at < now() - make_interval(secs => ?)',
        params: [c.WEBHOOK_RETENTION / 1000],
      },
    ],
  };
}

export const notifierService: ServiceDefinition<NotifierConfig> = createNotifierService();
