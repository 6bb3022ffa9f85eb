import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadNotifierConfig, type NotifierConfig } from './config.ts';
import { M0001Initial } from './migrations/m0001-initial.ts';

/**
 * Boots on the platform: its schema and migrations, its NOTIFY stream, health and readiness.
 * Not built yet: e-mail, webhooks and digests arrive with the notifier issue (docs/architecture.md, "What is built").
 */
export const notifierService: ServiceDefinition<NotifierConfig> = {
  name: 'notifier',
  loadConfig: loadNotifierConfig,
  entities: [],
  migrations: [{ name: 'm0001-initial', class: M0001Initial }],
  ownedStreams: [STREAMS.NOTIFY],
  start: async () => undefined,
  healthPort: (c) => c.HEALTH_PORT,
};
