import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, inject } from 'vitest';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { uniqueToken } from '@reelforge/testing';
import type { Principal } from '@reelforge/contracts';
import type { Logger } from 'pino';
import { createAccountCommands } from '../../src/accounts/account-commands.ts';
import type { OrchestratorConfig } from '../../src/config.ts';
import { orchestratorService } from '../../src/service.ts';
import { createSourceCommands } from '../../src/sources/source-commands.ts';

/**
 * The orchestrator booted on the suite's real PostgreSQL and NATS for the calling describe block
 * (its own namespace and schema), stopped after it; `fork` and `schema` for its tests, and
 * `accountWith` to make an account of `principal` with `sources` sources, as a user would.
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
  const fork = () => booted().platform.orm.em.fork();
  async function accountWith(principal: Principal, sources: number): Promise<string> {
    const account = await createAccountCommands({ fork }).create({ principal, body: { name: 'Test' } });
    for (let i = 0; i < sources; i++)
      await createSourceCommands({ fork }).register({
        principal,
        accountId: account.id,
        body: { url: `https://v.example/${account.id}/${i}.mp4` },
      });
    return account.id;
  }
  return { fork, schema: () => booted().config.DB_SCHEMA, accountWith };
}
