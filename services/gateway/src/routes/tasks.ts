import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import {
  CreateTaskBody,
  TaskListQuery,
  TaskStats,
  TaskView,
  orchestratorCommands,
  repurposerCommands,
} from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { withQueryAliases } from '../http/query-aliases.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';
import { resolveOptionUploads, resolveSource, type SourcePolicy } from '../uploads/resolve-source.ts';
import type { Uploads } from '../uploads/uploads.ts';

/** Tasks are scoped by the caller: the repurposer records each task's owner principal and filters by it. */
export function registerTaskRoutes(
  app: GatewayApp,
  forward: Forward,
  uploads: Uploads,
  sourcePolicy: SourcePolicy,
): void {
  app.post(
    '/api/v1/tasks',
    {
      config: { idempotent: true },
      schema: { body: CreateTaskBody, response: { 202: TaskView, 422: ErrorResponse, ...errorResponses } },
    },
    async (req, reply) => {
      const body = req.body;
      const source = await resolveSource(body, req.principal, uploads, sourcePolicy);
      const options = (await resolveOptionUploads(body.options, req.principal, uploads)) ?? {};
      // The account's owner says whether it is the caller's (404 if not); the repurposer records the caller as the task's owner.
      const account = await forward(orchestratorCommands.getAccount, {
        principal: req.principal,
        accountId: body.accountId,
      });
      const task = await forward(repurposerCommands.createTask, {
        principal: req.principal,
        accountId: body.accountId,
        sourceUrl: source.url,
        captionsUrl: source.captionsUrl ?? null,
        options,
        mediaRetentionDays: account.mediaRetentionDays,
        // A retry whose first answer was lost gets the same task (the repurposer derives the job's id from the key).
        ...(req.idempotency ? { idempotencyKey: req.idempotency.key } : {}),
      });
      return reply.status(202).header('location', `/api/v1/tasks/${task.id}`).send(task);
    },
  );
  const Page = Type.Object({ items: Type.Array(TaskView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  const listQuery = withQueryAliases(TaskListQuery, { account_id: 'accountId' });
  app.get(
    '/api/v1/tasks',
    {
      preValidation: listQuery.preValidation,
      schema: { querystring: listQuery.querystring, response: { 200: Page, ...errorResponses } },
    },
    async (req) => {
      const q = req.query;
      return forward(repurposerCommands.listTasks, {
        principal: req.principal,
        ...(q.accountId ? { accountId: q.accountId } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );
  app.get('/api/v1/tasks/stats', { schema: { response: { 200: TaskStats, ...errorResponses } } }, async (req) =>
    forward(repurposerCommands.taskStats, { principal: req.principal }),
  );
  app.get(
    '/api/v1/tasks/:taskId',
    { schema: { params: IdParam('taskId'), response: { 200: TaskView, ...errorResponses } } },
    async (req) => {
      const { taskId } = req.params;
      return forward(repurposerCommands.getTask, { principal: req.principal, taskId });
    },
  );
  app.post(
    '/api/v1/tasks/:taskId/cancel',
    { schema: { params: IdParam('taskId'), response: { 202: TaskView, 409: ErrorResponse, ...errorResponses } } },
    async (req, reply) => {
      const { taskId } = req.params;
      return reply.status(202).send(await forward(repurposerCommands.cancelTask, { principal: req.principal, taskId }));
    },
  );
  app.post(
    '/api/v1/tasks/:taskId/retry',
    { schema: { params: IdParam('taskId'), response: { 202: TaskView, 409: ErrorResponse, ...errorResponses } } },
    async (req, reply) => {
      const { taskId } = req.params;
      return reply.status(202).send(await forward(repurposerCommands.retryTask, { principal: req.principal, taskId }));
    },
  );
}
