import { Type } from '@sinclair/typebox';
import { ContentView, repurposerCommands } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import type { Forward } from '../http/forward.ts';
import type { GatewayApp } from '../http/gateway-app.ts';
import { withQueryAliases } from '../http/query-aliases.ts';
import { IdParam, PageQuery, errorResponses } from '../http/schemas.ts';
import { FileResponses, sendContentFile } from '../http/send-content-file.ts';

/**
 * Generated content: lists, metadata, and the files themselves, streamed with HTTP Range support.
 * Clients only ever name ids; the file's place in the store comes from its owner, which scopes
 * every query by the caller (the owner principal it recorded with each clip).
 */
export function registerContentRoutes(app: GatewayApp, deps: { forward: Forward; store: MediaStore }): void {
  const { forward } = deps;
  const ListQuery = Type.Object(
    {
      accountId: Type.Optional(Type.String({ format: 'uuid' })),
      taskId: Type.Optional(Type.String({ format: 'uuid' })),
      /** `clip` or `article` (an article's narrated video); both when absent. */
      kind: Type.Optional(Type.Union([Type.Literal('clip'), Type.Literal('article')])),
      ...PageQuery.properties,
    },
    { additionalProperties: false },
  );
  const listQuery = withQueryAliases(ListQuery, { account_id: 'accountId', task_id: 'taskId' });
  const Page = Type.Object({ items: Type.Array(ContentView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  app.get(
    '/api/v1/content',
    {
      preValidation: listQuery.preValidation,
      schema: { querystring: listQuery.querystring, response: { 200: Page, ...errorResponses } },
    },
    async (req) => {
      const q = req.query;
      return forward(repurposerCommands.listContent, {
        principal: req.principal,
        ...(q.accountId ? { accountId: q.accountId } : {}),
        ...(q.taskId ? { taskId: q.taskId } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );
  app.get(
    '/api/v1/tasks/:taskId/clips',
    { schema: { params: IdParam('taskId'), response: { 200: Page, ...errorResponses } } },
    async (req) => {
      const { taskId } = req.params;
      await forward(repurposerCommands.getTask, { principal: req.principal, taskId }); // 404 for a task that is not the caller's
      return forward(repurposerCommands.listContent, { principal: req.principal, taskId, limit: 100 });
    },
  );
  app.delete(
    '/api/v1/content/:contentId',
    { schema: { params: IdParam('contentId'), response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await forward(repurposerCommands.deleteContent, {
        principal: req.principal,
        contentId: req.params.contentId,
      });
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/api/v1/content/:contentId',
    { schema: { params: IdParam('contentId'), response: { 200: ContentView, ...errorResponses } } },
    async (req) => {
      const { contentId } = req.params;
      return forward(repurposerCommands.getContent, { principal: req.principal, contentId });
    },
  );

  app.get(
    '/api/v1/content/:contentId/file',
    { schema: { params: IdParam('contentId'), response: FileResponses } },
    async (req, reply) =>
      sendContentFile(
        deps,
        { principal: req.principal, contentId: req.params.contentId, kind: 'video', range: req.headers.range },
        reply,
      ),
  );
  app.get(
    '/api/v1/content/:contentId/thumbnail',
    { schema: { params: IdParam('contentId'), response: FileResponses } },
    async (req, reply) =>
      sendContentFile(
        deps,
        { principal: req.principal, contentId: req.params.contentId, kind: 'thumbnail', range: req.headers.range },
        reply,
      ),
  );
}
