import type { GatewayApp } from '../http/gateway-app.ts';
import { LibrarySourceView, orchestratorBacklogCommands } from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, PageQuery, errorResponses } from '../http/schemas.ts';
import { resolveSource, type SourcePolicy } from '../uploads/resolve-source.ts';
import type { Uploads } from '../uploads/uploads.ts';

const Tag = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' });
const common = {
  captionsUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' })),
  tags: Type.Array(Tag, { minItems: 1, maxItems: 20, uniqueItems: true }),
};
const AddBody = Type.Union([
  Type.Object(
    { url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' }), ...common },
    { additionalProperties: false },
  ),
  Type.Object({ uploadId: Type.String({ format: 'uuid' }), ...common }, { additionalProperties: false }),
]);

/** The library `clips` recipes cut their backlog items from (operators only): a video by URL or upload, with tags. */
export function registerLibraryRoutes(
  app: GatewayApp,
  forward: Forward,
  uploads: Uploads,
  sourcePolicy: SourcePolicy,
): void {
  app.post(
    '/api/v1/library/sources',
    {
      schema: {
        body: AddBody,
        response: { 201: LibrarySourceView, 403: ErrorResponse, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      requireOperator(req.principal, 'adding library sources');
      const body = req.body;
      const location = await resolveSource(body, req.principal, uploads, sourcePolicy);
      return reply.status(201).send(
        await forward(orchestratorBacklogCommands.addLibrarySource, {
          principal: req.principal,
          body: { ...location, tags: body.tags },
        }),
      );
    },
  );
  const ListQuery = Type.Object({ tag: Type.Optional(Tag), ...PageQuery.properties }, { additionalProperties: false });
  const Page = Type.Object({
    items: Type.Array(LibrarySourceView),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  });
  app.get(
    '/api/v1/library/sources',
    { schema: { querystring: ListQuery, response: { 200: Page, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      requireOperator(req.principal, 'listing library sources');
      return forward(orchestratorBacklogCommands.listLibrarySources, {
        principal: req.principal,
        ...req.query,
      });
    },
  );
}
