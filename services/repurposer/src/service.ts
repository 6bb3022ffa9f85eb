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
  // A finished task keeps its last attempt (what a task view shows); earlier ones go after 30 days.
  retention: () => [
    {
      name: 'attempts',
      table: 'task_attempts',
      where: `exists (select 1 from $schema.tasks t where t.id = task_attempts.task_id and t.finished_at < now() - interval '30 days' and task_attempts.attempt < t.attempt)`,
    },
  ],
};
