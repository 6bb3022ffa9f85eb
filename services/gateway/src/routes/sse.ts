import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConnectionCaps } from '../live/connection-caps.ts';
import { Type } from '@sinclair/typebox';
import { orchestratorCommands, repurposerCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { IdParam, errorResponses } from '../http/schemas.ts';
import type { AccountScope } from '../http/scope.ts';
import { streamStatus, type SseDeps } from '../live/sse-stream.ts';

const Stream = { 200: Type.String({ description: 'text/event-stream: `id:` is the resume cursor (send it back as `Last-Event-ID`)' }), ...errorResponses };

/** Server-Sent Events twins of the WebSocket: one task, or a whole account. */
export function registerSseRoutes(app: FastifyInstance, deps: SseDeps & { caps: ConnectionCaps; forward: Forward; scope: AccountScope }): void {
  // Each stream counts against its caller's live connections until its response closes.
  const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.raw.once('close', deps.caps.acquire(req.principal.id));
  };
  app.get(
    '/api/v1/events',
    { preHandler, schema: { querystring: Type.Object({ account_id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }), response: Stream } },
    async (req, reply) => {
      const accountId = (req.query as { account_id: string }).account_id;
      await deps.forward(orchestratorCommands.getAccount, { principal: req.principal, accountId }); // 404 unless the caller's
      await streamStatus(req, reply, deps, { id: accountId, accountId, keep: () => true });
    },
  );
  app.get('/api/v1/tasks/:taskId/events', { preHandler, schema: { params: IdParam('taskId'), response: Stream } }, async (req, reply) => {
    const { taskId } = req.params as { taskId: string };
    const task = await deps.scope.scoped(req.principal, (accountIds) => deps.forward(repurposerCommands.getTask, { accountIds, taskId }));
    await streamStatus(req, reply, deps, { id: taskId, accountId: task.accountId, keep: (e) => e.taskId === taskId });
  });
}
