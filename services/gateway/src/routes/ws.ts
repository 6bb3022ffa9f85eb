import type { GatewayApp } from '../http/gateway-app.ts';
import { randomUUID } from 'node:crypto';
import { orchestratorCommands, repurposerCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { handleWsConnection, type WsConnectionDeps } from '../live/ws-connection.ts';
import { replayStatus } from '../live/replay.ts';
import type { Messaging } from '@reelforge/messaging';
import type { SubscriptionRegistry } from '../live/subscription-registry.ts';
import type { Logger } from 'pino';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../http/schemas.ts';
import type { ConnectionCaps } from '../live/connection-caps.ts';
import type { WriteScheduler } from '../live/write-scheduler.ts';

export interface WsRouteDeps {
  caps: ConnectionCaps;
  forward: Forward;
  messaging: Messaging;
  registry: SubscriptionRegistry;
  heartbeatMs: number;
  maxBufferedBytes: number;
  scheduler: WriteScheduler;
  log: Logger;
}

/** What a live-status connection needs, from the route's dependencies (shared with the compat sockets). */
export function wsConnectionDeps(deps: WsRouteDeps): WsConnectionDeps {
  return {
    registry: deps.registry,
    replay: (accountId, since, keep) => replayStatus(deps.messaging, accountId, since, keep),
    heartbeatMs: deps.heartbeatMs,
    maxBufferedBytes: deps.maxBufferedBytes,
    scheduler: deps.scheduler,
    log: deps.log,
    getGeneration: (p, id) => deps.forward(orchestratorCommands.getGeneration, { principal: p, generationId: id }),
    getTask: (p, id) => deps.forward(repurposerCommands.getTask, { principal: p, taskId: id }),
    checkAccount: async (p, id) => {
      await deps.forward(orchestratorCommands.getAccount, { principal: p, accountId: id });
    },
  };
}

/** `GET /api/v1/ws`: live status. Authenticated like every route (header, or `?token=` for browsers). */
export function registerWsRoute(app: GatewayApp, deps: WsRouteDeps): void {
  app.get(
    '/api/v1/ws',
    {
      websocket: true,
      // Counted before the upgrade (a 429 is still an HTTP answer); freed when the socket closes.
      preHandler: async (req) => {
        const release = deps.caps.acquire(req.principal.id);
        req.raw.socket.once('close', release);
      },
      schema: {
        description:
          'Live status over WebSocket (upgrade). Protocol: docs/architecture.md. Browsers may pass the token as `?token=`.',
        querystring: Type.Object(
          { token: Type.Optional(Type.String({ maxLength: 4096 })) },
          { additionalProperties: false },
        ),
        response: { 101: Type.Null({ description: 'Switching Protocols' }), 401: ErrorResponse, 429: ErrorResponse },
      },
    },
    (socket, req) => {
      // req.raw.socket is the TCP socket the WebSocket writes to: corked per turn.
      handleWsConnection(socket, req.principal, randomUUID(), wsConnectionDeps(deps), req.raw.socket);
    },
  );
}
