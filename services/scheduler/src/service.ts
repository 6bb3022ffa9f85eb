import { STREAMS } from '@reelforge/contracts';
import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadSchedulerConfig, type SchedulerConfig } from './config.ts';
import { M0001Initial } from './migrations/m0001-initial.ts';

/**
 * Boots on the platform: its schema and migrations, its SCHEDULER stream, health and readiness.
 * Not built yet: jobs and `scheduler run <job>` arrive with the issues that own each job (docs/architecture.md, "What is built").
 */
export const schedulerService: ServiceDefinition<SchedulerConfig> = {
  name: 'scheduler',
  loadConfig: loadSchedulerConfig,
  entities: [],
  migrations: [{ name: 'm0001-initial', class: M0001Initial }],
  ownedStreams: [STREAMS.SCHEDULER],
  start: async () => undefined,
  healthPort: (c) => c.HEALTH_PORT,
};
