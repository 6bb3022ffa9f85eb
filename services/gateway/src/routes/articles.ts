import type { GatewayApp } from '../http/gateway-app.ts';
import {
  ARTICLE_SECONDS,
  CreateArticleBody,
  DEFAULT_MUSIC_VOLUME,
  DomainError,
  TaskView,
  orchestratorCommands,
  repurposerCommands,
  type RenderOptions,
} from '@reelforge/contracts';
import { sourceUrlProblem } from '@reelforge/net-policy';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';
import type { SourcePolicy } from '../uploads/resolve-source.ts';

/**
 * `POST /accounts/:accountId/articles`: an article URL in, a task that makes one narrated vertical
 * video out. The task is a repurposer task like any other: GET/cancel/retry/events/content work as
 * for clips.
 */
export function registerArticleRoutes(app: GatewayApp, forward: Forward, sourcePolicy: SourcePolicy): void {
  app.post(
    '/api/v1/accounts/:accountId/articles',
    {
      config: { idempotent: true },
      schema: {
        params: IdParam('accountId'),
        body: CreateArticleBody,
        response: { 202: TaskView, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { accountId } = req.params;
      const body = req.body;
      const problem = await sourceUrlProblem(body.url, sourcePolicy);
      if (problem) throw new DomainError('UNPROCESSABLE', `article URL refused: ${problem}`, { field: 'body/url' });
      const musicProblem = body.musicUrl ? await sourceUrlProblem(body.musicUrl, sourcePolicy) : undefined;
      if (musicProblem)
        throw new DomainError('UNPROCESSABLE', `music URL refused: ${musicProblem}`, { field: 'body/musicUrl' });
      // The account's owner says whether it is the caller's (404 if not).
      const account = await forward(orchestratorCommands.getAccount, { principal: req.principal, accountId });
      const options: RenderOptions = {
        ...(body.aspect ? { aspect: body.aspect } : {}),
        ...(body.width ? { width: body.width } : {}),
        ...(body.captions ? { captions: body.captions } : {}),
        ...(body.preset ? { preset: body.preset } : {}),
      };
      const task = await forward(repurposerCommands.createTask, {
        principal: req.principal,
        accountId,
        sourceUrl: body.url,
        captionsUrl: null,
        options,
        mediaRetentionDays: account.mediaRetentionDays,
        article: {
          targetSeconds: body.targetSeconds ?? ARTICLE_SECONDS.default,
          voice: body.voice ?? null,
          rate: body.rate ?? null,
          title: body.title ?? null,
          music: body.musicUrl ? { url: body.musicUrl, volume: body.musicVolume ?? DEFAULT_MUSIC_VOLUME } : null,
        },
        ...(req.idempotency ? { idempotencyKey: req.idempotency.key } : {}),
      });
      return reply.status(202).header('location', `/api/v1/tasks/${task.id}`).send(task);
    },
  );
}
