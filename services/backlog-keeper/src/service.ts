import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadBacklogConfig, type BacklogConfig } from './config.ts';
import { createBacklogKeeper } from './create-service.ts';
import { migrations } from './migrations/index.ts';

/**
 * Serves the recipe catalogue (docs/architecture.md). Not built yet: backlog items, claims and
 * refills (the backlog issue).
 */
export const backlogKeeperService: ServiceDefinition<BacklogConfig> = {
  name: 'backlog-keeper',
  loadConfig: loadBacklogConfig,
  entities: [],
  migrations,
  ownedStreams: [STREAMS.BACKLOG],
  start: (platform) => createBacklogKeeper(platform, () => new Date()),
  healthPort: (c) => c.HEALTH_PORT,
};
