import type { FastifyInstance } from 'fastify';
import { TaskStats, TaskView, repurposerCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { ownedAccountIds } from '../http/scope.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';

export function registerTaskRoutes(app: FastifyInstance, forward: Forward): void {
  app.get('/api/v1/tasks/stats', { schema: { response: { 200: TaskStats, ...errorResponses } } }, async (req) =>
    forward(repurposerCommands.taskStats, { accountIds: await ownedAccountIds(forward, req.principal) }),
  );
  app.get('/api/v1/tasks/:taskId', { schema: { params: IdParam('taskId'), response: { 200: TaskView, ...errorResponses } } }, async (req) => {
    const { taskId } = req.params as { taskId: string };
    return forward(repurposerCommands.getTask, { accountIds: await ownedAccountIds(forward, req.principal), taskId });
  });
  app.post('/api/v1/tasks/:taskId/cancel', { schema: { params: IdParam('taskId'), response: { 202: TaskView, 409: ErrorResponse, ...errorResponses } } }, async (req, reply) => {
    const { taskId } = req.params as { taskId: string };
    return reply.status(202).send(await forward(repurposerCommands.cancelTask, { accountIds: await ownedAccountIds(forward, req.principal), taskId }));
  });
  app.post('/api/v1/tasks/:taskId/retry', { schema: { params: IdParam('taskId'), response: { 202: TaskView, 409: ErrorResponse, ...errorResponses } } }, async (req, reply) => {
    const { taskId } = req.params as { taskId: string };
    return reply.status(202).send(await forward(repurposerCommands.retryTask, { accountIds: await ownedAccountIds(forward, req.principal), taskId }));
  });
}
