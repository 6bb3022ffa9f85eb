import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import {
  DomainError,
  accountStorageFull,
  GenerationView,
  StartGenerationBody,
  orchestratorCommands,
  repurposerCommands,
  type Principal,
} from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { sourceUrlProblem } from '@reelforge/net-policy';
import { resolveOptionUploads, type SourcePolicy } from '../uploads/resolve-source.ts';
import type { Uploads } from '../uploads/uploads.ts';
import { ErrorResponse, IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

export function registerGenerationRoutes(
  app: GatewayApp,
  forward: Forward,
  uploads: Uploads,
  sourcePolicy: SourcePolicy,
): void {
  app.post(
    '/api/v1/accounts/:accountId/generations',
    {
      config: { idempotent: true },
      schema: {
        params: IdParam('accountId'),
        body: StartGenerationBody,
        response: {
          202: Type.Object({ generation: GenerationView, shortBy: Type.Integer() }),
          409: ErrorResponse,
          422: ErrorResponse,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { accountId } = req.params;
      const raw = req.body;
      const options = await resolveOptionUploads(raw.options, req.principal, uploads);
      const body = options ? { ...raw, options } : raw;
      // The key goes on to the orchestrator: a retry whose first answer was lost gets the same generation.
      const idempotencyKey = req.idempotency?.key;
      const musicUrl = raw.article?.musicUrl;
      const musicProblem = musicUrl ? await sourceUrlProblem(musicUrl, sourcePolicy) : undefined;
      if (musicProblem)
        throw new DomainError('UNPROCESSABLE', `music URL refused: ${musicProblem}`, {
          field: 'body/article/musicUrl',
        });
      await refuseWhenFull(forward, req.principal, accountId);
      const result = await forward(orchestratorCommands.startGeneration, {
        principal: req.principal,
        accountId,
        body,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      return reply.status(202).header('location', `/api/v1/generations/${result.generation.id}`).send(result);
    },
  );
  app.get(
    '/api/v1/generations/:generationId',
    { schema: { params: IdParam('generationId'), response: { 200: GenerationView, ...errorResponses } } },
    async (req) => {
      const { generationId } = req.params;
      return forward(orchestratorCommands.getGeneration, { principal: req.principal, generationId });
    },
  );
  const Page = Type.Object({ items: Type.Array(GenerationView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  app.get(
    '/api/v1/accounts/:accountId/generations',
    { schema: { params: IdParam('accountId'), querystring: PageQuery, response: { 200: Page, ...errorResponses } } },
    async (req) => {
      const { accountId } = req.params;
      return forward(orchestratorCommands.listGenerations, {
        principal: req.principal,
        accountId,
        ...req.query,
      });
    },
  );
  app.get(
    '/api/v1/accounts/:accountId/generations/current',
    { schema: { params: IdParam('accountId'), response: { 200: Page, ...errorResponses } } },
    async (req) => {
      const { accountId } = req.params;
      return forward(orchestratorCommands.listGenerations, {
        principal: req.principal,
        accountId,
        onlyOpen: true,
        limit: 100,
      });
    },
  );
  app.post(
    '/api/v1/generations/:generationId/cancel',
    { schema: { params: IdParam('generationId'), response: { 202: GenerationView, ...errorResponses } } },
    async (req, reply) => {
      const { generationId } = req.params;
      return reply
        .status(202)
        .send(await forward(orchestratorCommands.cancelGeneration, { principal: req.principal, generationId }));
    },
  );
}

/**
 * An account whose clips fill its storage quota cannot start more work (422 with the figures, from
 * the repurposer's count). If the repurposer cannot say right now, the start goes ahead: the
 * render's own check still stops clips that would pass the quota.
 */
export async function refuseWhenFull(forward: Forward, principal: Principal, accountId: string): Promise<void> {
  const usage = await forward(repurposerCommands.contentUsage, { principal, accountId }).catch((err: unknown) => {
    if (err instanceof DomainError && err.code === 'SERVICE_UNAVAILABLE') return undefined;
    throw err;
  });
  const full = usage && accountStorageFull(accountId, usage.usedBytes, usage.quotaBytes);
  if (full) throw full;
}
