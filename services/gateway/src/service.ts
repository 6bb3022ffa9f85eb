import type { ServiceDefinition } from '@reelforge/service-kit';
import { loadGatewayConfig, type GatewayConfig } from './config.ts';
import { SERVICE, createGateway } from './create-gateway.ts';
import { migrations } from './migrations/index.ts';

/** The gateway owns no domain data and no streams; its schema holds API keys and idempotency records. */
export const gatewayService: ServiceDefinition<GatewayConfig> = {
  name: SERVICE,
  loadConfig: loadGatewayConfig,
  entities: [],
  migrations,
  ownedStreams: [],
  start: async (platform, config) => ({ port: (await createGateway(platform, config)).port }),
  healthPort: (c) => c.HEALTH_PORT,
  // Keys are honoured for 24 h (http/idempotency.ts); their records go a day later.
  retention: () => [
    { name: 'idempotency', table: 'idempotency_records', where: `created_at < now() - interval '48 hours'` },
  ],
};
