import {
  ARTICLE_SECONDS,
  DEFAULT_MUSIC_VOLUME,
  DomainError,
  orchestratorCommands,
  repurposerCommands,
  type CreateArticleBody,
  type Principal,
  type RenderOptions,
  type TaskView,
} from '@reelforge/contracts';
import { sourceUrlProblem } from '@reelforge/net-policy';
import type { Forward } from '../http/forward.ts';
import type { SourcePolicy } from '../uploads/resolve-source.ts';

/**
 * One narrated video from an article: the URLs pass the source policy, the account is the
 * caller's (404 if not), and the repurposer gets a task like any other. Used by v1's
 * `POST /accounts/:id/articles` and by the compatibility surfaces.
 */
export async function startArticleVideo(
  deps: { forward: Forward; sourcePolicy: SourcePolicy },
  request: { principal: Principal; accountId: string; body: CreateArticleBody; idempotencyKey?: string | undefined },
): Promise<TaskView> {
  const { forward, sourcePolicy } = deps;
  const { principal, accountId, body } = request;
  const problem = await sourceUrlProblem(body.url, sourcePolicy);
  if (problem) throw new DomainError('UNPROCESSABLE', `article URL refused: ${problem}`, { field: 'body/url' });
  const musicProblem = body.musicUrl ? await sourceUrlProblem(body.musicUrl, sourcePolicy) : undefined;
  if (musicProblem)
    throw new DomainError('UNPROCESSABLE', `music URL refused: ${musicProblem}`, { field: 'body/musicUrl' });
  const account = await forward(orchestratorCommands.getAccount, { principal, accountId });
  const options: RenderOptions = {
    ...(body.aspect ? { aspect: body.aspect } : {}),
    ...(body.width ? { width: body.width } : {}),
    ...(body.captions ? { captions: body.captions } : {}),
    ...(body.preset ? { preset: body.preset } : {}),
  };
  return forward(repurposerCommands.createTask, {
    principal,
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
    ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
  });
}
