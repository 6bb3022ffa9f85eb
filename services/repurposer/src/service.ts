import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadRepurposerConfig, type RepurposerConfig } from './config.ts';
import { SERVICE, createRepurposer } from './create-service.ts';
import { entities } from './entities/index.ts';
import { migrations } from './migrations/index.ts';

export const repurposerService: ServiceDefinition<RepurposerConfig> = {
  name: SERVICE,
  loadConfig: loadRepurposerConfig,
  entities,
  migrations,
  ownedStreams: [STREAMS.RENDER_JOBS, STREAMS.TASKS],
  start: createRepurposer,
  healthPort: (c) => c.HEALTH_PORT,
};
