import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, inject } from 'vitest';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { uniqueToken } from '@reelforge/testing';
import type { Logger } from 'pino';
import type { OrchestratorConfig } from '../../src/config.ts';
import { orchestratorService } from '../../src/service.ts';

/**
 * The orchestrator booted on the suite's real PostgreSQL and NATS for the calling describe block
 * (its own namespace and schema), stopped after it; `fork` and `schema` for its tests.
 */
export function bootedOrchestrator(log: Logger) {
  let svc: BootedService<OrchestratorConfig> | undefined;
  beforeAll(async () => {
    const token = uniqueToken();
    svc = await bootService(
      orchestratorService,
      {
        DATABASE_URL: inject('databaseUrl'),
        NATS_URL: inject('natsUrl'),
        NATS_NAMESPACE: token,
        DB_SCHEMA: `${token}_orchestrator`,
        HEALTH_PORT: '0',
      },
      { log, tracer: trace.getTracer('test') },
    );
  });
  afterAll(async () => {
    await svc?.stop();
  });
  const booted = () => {
    if (!svc) throw new Error('the orchestrator is not booted yet (use it inside a test)');
    return svc;
  };
  return {
    fork: () => booted().platform.orm.em.fork(),
    schema: () => booted().config.DB_SCHEMA,
  };
}
