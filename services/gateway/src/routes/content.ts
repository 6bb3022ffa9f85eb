import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ContentView, repurposerCommands, type Principal } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import { parseByteRange } from '../http/byte-range.ts';
import type { Forward } from '../http/forward.ts';
import type { GatewayApp } from '../http/gateway-app.ts';
import { withQueryAliases } from '../http/query-aliases.ts';
import { ErrorResponse, IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

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

  const file = async (
    principal: Principal,
    contentId: string,
    kind: 'video' | 'thumbnail',
    range: string | undefined,
    reply: FastifyReply,
  ) => {
    const found = await forward(repurposerCommands.locateContent, { principal, contentId, kind });
    const path = deps.store.pathOf(found.mediaKey);
    const size = found.sizeBytes;
    const r = parseByteRange(range, size);
    void reply.header('accept-ranges', 'bytes');
    if (r.kind === 'unsatisfiable') {
      return reply
        .status(416)
        .header('content-range', `bytes */${size}`)
        .send({ error: { code: 'VALIDATION_FAILED', message: `range not satisfiable for ${size} bytes` } });
    }
    void reply.header('content-type', found.contentType).header('cache-control', 'private, max-age=3600');
    if (r.kind === 'partial') {
      return reply
        .status(206)
        .header('content-range', `bytes ${r.start}-${r.end}/${size}`)
        .header('content-length', r.end - r.start + 1)
        .send(createReadStream(path, { start: r.start, end: r.end }));
    }
    return reply.status(200).header('content-length', size).send(createReadStream(path));
  };
  const FileResponses = {
    200: Type.Any({ description: 'The file (video/mp4 or image/jpeg)' }),
    206: Type.Any({ description: 'The requested byte range' }),
    416: ErrorResponse,
    ...errorResponses,
  };
  app.get(
    '/api/v1/content/:contentId/file',
    { schema: { params: IdParam('contentId'), response: FileResponses } },
    async (req, reply) => file(req.principal, req.params.contentId, 'video', req.headers.range, reply),
  );
  app.get(
    '/api/v1/content/:contentId/thumbnail',
    { schema: { params: IdParam('contentId'), response: FileResponses } },
    async (req, reply) => file(req.principal, req.params.contentId, 'thumbnail', req.headers.range, reply),
  );
}
