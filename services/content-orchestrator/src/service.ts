import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadOrchestratorConfig, type OrchestratorConfig } from './config.ts';
import { SERVICE, createOrchestrator } from './create-service.ts';
import { entities } from './entities/index.ts';
import { migrations } from './migrations/index.ts';

export const orchestratorService: ServiceDefinition<OrchestratorConfig> = {
  name: SERVICE,
  loadConfig: loadOrchestratorConfig,
  entities,
  migrations,
  ownedStreams: [STREAMS.CONTENT],
  start: createOrchestrator,
  healthPort: (c) => c.HEALTH_PORT,
};
