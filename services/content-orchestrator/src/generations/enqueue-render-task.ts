import {
  ARTICLE_CONTENT_TYPE,
  ARTICLE_SECONDS,
  DEFAULT_MUSIC_VOLUME,
  makeEnvelope,
  subjects,
  uuidv7,
  type ArticleGenerationOptions,
  type ArticleSpec,
  type RenderJobRequested,
  type RenderOptions,
} from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';

/** What each video of an article generation is told: the generation's narration settings, defaults filled in. */
const articleSpec = (o: ArticleGenerationOptions | undefined): ArticleSpec => ({
  targetSeconds: o?.targetSeconds ?? ARTICLE_SECONDS.default,
  voice: o?.voice ?? null,
  rate: o?.rate ?? null,
  title: null,
  music: o?.musicUrl ? { url: o.musicUrl, volume: o.musicVolume ?? DEFAULT_MUSIC_VOLUME } : null,
});

export interface RenderTaskInput {
  generationId: string;
  accountId: string;
  /** The account's owner principal: the repurposer scopes reads by it. */
  ownerId: string;
  contentType: string;
  source: { id: string; url: string; captions_url: string | null };
  options: RenderOptions;
  article: ArticleGenerationOptions | undefined;
  mediaRetentionDays: number | null;
}

/**
 * Reserves a source for a generation and records its task, with the render job in the outbox (the
 * same transaction): one task per source, for user generations and backlog items alike.
 */
export async function enqueueRenderTask(
  em: EntityManager,
  schema: string,
  service: string,
  t: RenderTaskInput,
): Promise<string> {
  const s = `"${schema}"`;
  const taskId = uuidv7();
  await em.execute(
    `update ${s}.source_videos set state = 'reserved', generation_id = ?, updated_at = now() where id = ?`,
    [t.generationId, t.source.id],
  );
  await em.execute(
    `insert into ${s}.generation_tasks (task_id, generation_id, source_id, status) values (?, ?, ?, 'queued')`,
    [taskId, t.generationId, t.source.id],
  );
  const job: RenderJobRequested = makeEnvelope('render.job.requested.v1', service, t.accountId, {
    taskId,
    generationId: t.generationId,
    sourceId: t.source.id,
    sourceUrl: t.source.url,
    captionsUrl: t.source.captions_url,
    contentType: t.contentType,
    options: t.options,
    ownerId: t.ownerId,
    mediaRetentionDays: t.mediaRetentionDays,
    ...(t.contentType === ARTICLE_CONTENT_TYPE ? { article: articleSpec(t.article) } : {}),
  });
  await enqueueOutbox(em, schema, subjects.renderJob(t.accountId), job);
  return taskId;
}
