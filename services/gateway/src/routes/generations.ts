import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { GenerationView, StartGenerationBody, orchestratorCommands, type Principal } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import type { Uploads } from '../uploads/uploads.ts';
import { ErrorResponse, IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

type Body = typeof StartGenerationBody.static;

/** The orchestrator can't see uploads (the gateway owns them): a logo's upload id becomes its media location here. */
async function resolveUploads(body: Body, principal: Principal, uploads: Uploads) {
  const logo = body.options?.logo;
  if (!logo) return body;
  const location = await uploads.locate(principal, logo.uploadId, 'body/options/logo/uploadId');
  return { ...body, options: { ...body.options, logo: { ...logo, location } } };
}

export function registerGenerationRoutes(app: FastifyInstance, forward: Forward, uploads: Uploads): void {
  app.post(
    '/api/v1/accounts/:accountId/generations',
    {
      config: { idempotent: true },
      schema: {
        params: IdParam('accountId'),
        body: StartGenerationBody,
        response: { 202: Type.Object({ generation: GenerationView, shortBy: Type.Integer() }), 409: ErrorResponse, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { accountId } = req.params as { accountId: string };
      const body = await resolveUploads(req.body as Body, req.principal, uploads);
      const result = await forward(orchestratorCommands.startGeneration, { principal: req.principal, accountId, body });
      return reply.status(202).header('location', `/api/v1/generations/${result.generation.id}`).send(result);
    },
  );
  app.get('/api/v1/generations/:generationId', { schema: { params: IdParam('generationId'), response: { 200: GenerationView, ...errorResponses } } }, async (req) => {
    const { generationId } = req.params as { generationId: string };
    return forward(orchestratorCommands.getGeneration, { principal: req.principal, generationId });
  });
  const Page = Type.Object({ items: Type.Array(GenerationView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  app.get('/api/v1/accounts/:accountId/generations', { schema: { params: IdParam('accountId'), querystring: PageQuery, response: { 200: Page, ...errorResponses } } }, async (req) => {
    const { accountId } = req.params as { accountId: string };
    return forward(orchestratorCommands.listGenerations, { principal: req.principal, accountId, ...(req.query as typeof PageQuery.static) });
  });
  app.get('/api/v1/accounts/:accountId/generations/current', { schema: { params: IdParam('accountId'), response: { 200: Page, ...errorResponses } } }, async (req) => {
    const { accountId } = req.params as { accountId: string };
    return forward(orchestratorCommands.listGenerations, { principal: req.principal, accountId, onlyOpen: true, limit: 100 });
  });
  app.post('/api/v1/generations/:generationId/cancel', { schema: { params: IdParam('generationId'), response: { 202: GenerationView, ...errorResponses } } }, async (req, reply) => {
    const { generationId } = req.params as { generationId: string };
    return reply.status(202).send(await forward(orchestratorCommands.cancelGeneration, { principal: req.principal, generationId }));
  });
}
