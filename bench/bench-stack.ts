import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { natsAuthFromEnv } from '@reelforge/messaging';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { orchestratorService } from '@reelforge/content-orchestrator';
import { repurposerService } from '@reelforge/repurposer';
import { gatewayService } from '@reelforge/gateway';
import { backlogKeeperService } from '@reelforge/backlog-keeper';
import { signDevToken } from '../services/gateway/src/auth/dev-token.ts';
import type { Logger } from 'pino';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

type Booted = BootedService<{ DB_SCHEMA: string }>;
const DEFS = {
  orchestrator: orchestratorService,
  repurposer: repurposerService,
  backlog: backlogKeeperService,
  gateway: gatewayService,
} as const;

/**
 * The environment of a bench stack's services: their own NATS namespace (`token`), limits opened
 * up for load (no rate limit, no-op render, sources not resolved), logs at warn.
 */
export function benchEnv(
  token: string,
  options: { natsUrl: string; databaseUrl: string; env?: Record<string, string> },
): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    NATS_URL: options.natsUrl,
    // Credentials for a NATS_URL given from outside (ours carries them in the URL).
    ...natsAuthFromEnv(process.env),
    NATS_NAMESPACE: token,
    LOG_LEVEL: 'warn',
    HEALTH_PORT: '0',
    PORT: '0',
    JWT_SECRET: BENCH_SECRET,
    MEDIA_ROOT: mkdtempSync(join(tmpdir(), 'reelforge-bench-')),
    RATE_LIMIT_PER_MINUTE: '100000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000000', // the bench calls from one address
    RENDER_STAGE: 'noop',
    // The no-op render never fetches, and the sandbox cannot resolve the sources' host.
    SOURCE_URL_ALLOW_PRIVATE: 'true',
    ...options.env,
  };
}

/**
 * Boots the named services in this process on their own NATS namespace and schemas, with limits
 * opened up for load (no rate limit, no-op render, sources not resolved). Stop it when done.
 */
export async function bootBenchStack(options: {
  prefix: string;
  services: (keyof typeof DEFS)[];
  natsUrl: string;
  databaseUrl: string;
  log: Logger;
  env?: Record<string, string>;
}) {
  const token = `${options.prefix}${Date.now().toString(36)}`;
  const env = benchEnv(token, options);
  const booted: Partial<Record<keyof typeof DEFS, Booted>> = {};
  const order: Booted[] = [];
  try {
    for (const name of options.services) {
      const b = (await bootService(
        DEFS[name] as never,
        { ...env, DB_SCHEMA: `${token}_${name}` },
        { log: options.log, tracer: trace.getTracer('bench') },
      )) as unknown as Booted;
      booted[name] = b;
      order.push(b);
    }
  } catch (err) {
    for (const b of order.reverse()) await b.stop();
    throw err;
  }
  const gateway = booted.gateway;
  return {
    token,
    booted,
    baseUrl: gateway ? `http://127.0.0.1:${gateway.port}` : '',
    bearer: (subject: string, roles: string[] = []) => signDevToken(BENCH_SECRET, subject, { roles }),
    async stop() {
      for (const b of order.reverse()) await b.stop();
    },
  };
}
