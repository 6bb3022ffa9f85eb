import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { orchestratorCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { handleWsConnection } from '../live/ws-connection.ts';
import type { SubscriptionRegistry } from '../live/subscription-registry.ts';
import type { Logger } from 'pino';

/** `GET /api/v1/ws`: live status. Authenticated like every route (header, or `?token=` for browsers). */
export function registerWsRoute(app: FastifyInstance, deps: { forward: Forward; registry: SubscriptionRegistry; heartbeatMs: number; maxBufferedBytes: number; log: Logger }): void {
  app.get('/api/v1/ws', { websocket: true }, (socket, req) => {
    const principal = req.principal;
    handleWsConnection(socket, principal, randomUUID(), {
      registry: deps.registry,
      heartbeatMs: deps.heartbeatMs,
      maxBufferedBytes: deps.maxBufferedBytes,
      log: deps.log,
      getGeneration: (p, id) => deps.forward(orchestratorCommands.getGeneration, { principal: p, generationId: id }),
      checkAccount: async (p, id) => {
        await deps.forward(orchestratorCommands.getAccount, { principal: p, accountId: id });
      },
    });
  });
}
