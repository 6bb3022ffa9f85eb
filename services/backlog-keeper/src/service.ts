import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadBacklogConfig, type BacklogConfig } from './config.ts';
import { M0001Initial } from './migrations/m0001-initial.ts';

/**
 * Boots on the platform: its schema and migrations, its BACKLOG stream, health and readiness.
 * Not built yet: recipes, backlog items, claims and refills arrive with the backlog issue (docs/architecture.md, "What is built").
 */
export const backlogKeeperService: ServiceDefinition<BacklogConfig> = {
  name: 'backlog-keeper',
  loadConfig: loadBacklogConfig,
  entities: [],
  migrations: [{ name: 'm0001-initial', class: M0001Initial }],
  ownedStreams: [STREAMS.BACKLOG],
  start: async () => undefined,
  healthPort: (c) => c.HEALTH_PORT,
};
