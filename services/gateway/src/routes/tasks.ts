import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { CreateTaskBody, TaskListQuery, TaskStats, TaskView, repurposerCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import type { AccountScope } from '../http/scope.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';
import { resolveOptionUploads, resolveSource, type SourcePolicy } from '../uploads/resolve-source.ts';
import type { Uploads } from '../uploads/uploads.ts';

export function registerTaskRoutes(app: FastifyInstance, forward: Forward, scope: AccountScope, uploads: Uploads, sourcePolicy: SourcePolicy): void {
  app.post(
    '/api/v1/tasks',
    { config: { idempotent: true }, schema: { body: CreateTaskBody, response: { 202: TaskView, 422: ErrorResponse, ...errorResponses } } },
    async (req, reply) => {
      const body = req.body as typeof CreateTaskBody.static;
      const source = await resolveSource(body, req.principal, uploads, sourcePolicy);
      const options = (await resolveOptionUploads(body.options, req.principal, uploads)) ?? {};
      const task = await forward(repurposerCommands.createTask, {
        accountIds: await scope.ids(req.principal, body.accountId),
        accountId: body.accountId,
        sourceUrl: source.url,
        captionsUrl: source.captionsUrl ?? null,
        options,
      });
      return reply.status(202).header('location', `/api/v1/tasks/${task.id}`).send(task);
    },
  );
  const Page = Type.Object({ items: Type.Array(TaskView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  app.get('/api/v1/tasks', { schema: { querystring: TaskListQuery, response: { 200: Page, ...errorResponses } } }, async (req) => {
    const q = req.query as typeof TaskListQuery.static;
    return forward(repurposerCommands.listTasks, {
      accountIds: await scope.ids(req.principal, q.account_id),
      ...(q.account_id ? { accountId: q.account_id } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  });
  app.get('/api/v1/tasks/stats', { schema: { response: { 200: TaskStats, ...errorResponses } } }, async (req) =>
    forward(repurposerCommands.taskStats, { accountIds: await scope.ids(req.principal) }),
  );
  app.get('/api/v1/tasks/:taskId', { schema: { params: IdParam('taskId'), response: { 200: TaskView, ...errorResponses } } }, async (req) => {
    const { taskId } = req.params as { taskId: string };
    return scope.scoped(req.principal, (accountIds) => forward(repurposerCommands.getTask, { accountIds, taskId }));
  });
  app.post('/api/v1/tasks/:taskId/cancel', { schema: { params: IdParam('taskId'), response: { 202: TaskView, 409: ErrorResponse, ...errorResponses } } }, async (req, reply) => {
    const { taskId } = req.params as { taskId: string };
    return reply.status(202).send(await scope.scoped(req.principal, (accountIds) => forward(repurposerCommands.cancelTask, { accountIds, taskId })));
  });
  app.post('/api/v1/tasks/:taskId/retry', { schema: { params: IdParam('taskId'), response: { 202: TaskView, 409: ErrorResponse, ...errorResponses } } }, async (req, reply) => {
    const { taskId } = req.params as { taskId: string };
    return reply.status(202).send(await scope.scoped(req.principal, (accountIds) => forward(repurposerCommands.retryTask, { accountIds, taskId })));
  });
}
