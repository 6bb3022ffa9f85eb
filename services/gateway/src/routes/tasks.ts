import type { FastifyInstance } from 'fastify';
import { TaskStats, TaskView, orchestratorCommands, repurposerCommands, type Principal } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';

/** The accounts the caller owns: the repurposer scopes every task query by them. */
async function ownedAccountIds(forward: Forward, principal: Principal): Promise<string[]> {
  return (await forward(orchestratorCommands.listAccounts, { principal })).items.map((a) => a.id);
}

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
