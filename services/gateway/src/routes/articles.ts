import type { GatewayApp } from '../http/gateway-app.ts';
import { CreateArticleBody, TaskView } from '@reelforge/contracts';
import { startArticleVideo } from '../articles/start-article-video.ts';
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
      const task = await startArticleVideo(
        { forward, sourcePolicy },
        {
          principal: req.principal,
          accountId: req.params.accountId,
          body: req.body,
          idempotencyKey: req.idempotency?.key,
        },
      );
      return reply.status(202).header('location', `/api/v1/tasks/${task.id}`).send(task);
    },
  );
}
