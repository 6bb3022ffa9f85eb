import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { GenerationView, StartGenerationBody, orchestratorCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';

export function registerGenerationRoutes(app: FastifyInstance, forward: Forward): void {
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
      const result = await forward(orchestratorCommands.startGeneration, { principal: req.principal, accountId, body: req.body as typeof StartGenerationBody.static });
      return reply.status(202).header('location', `/api/v1/generations/${result.generation.id}`).send(result);
    },
  );
  app.get('/api/v1/generations/:generationId', { schema: { params: IdParam('generationId'), response: { 200: GenerationView, ...errorResponses } } }, async (req) => {
    const { generationId } = req.params as { generationId: string };
    return forward(orchestratorCommands.getGeneration, { principal: req.principal, generationId });
  });
}
