import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadBacklogConfig, type BacklogConfig } from './config.ts';
import { SERVICE, createBacklogKeeper } from './create-service.ts';
import { migrations } from './migrations/index.ts';

/** Recipes, their backlogs of ready items, instant claims and refills (docs/architecture.md). */
export const backlogKeeperService: ServiceDefinition<BacklogConfig> = {
  name: SERVICE,
  loadConfig: loadBacklogConfig,
  entities: [],
  migrations,
  ownedStreams: [STREAMS.BACKLOG],
  start: (platform, config) => createBacklogKeeper(platform, config, () => new Date()),
  healthPort: (c) => c.HEALTH_PORT,
};
