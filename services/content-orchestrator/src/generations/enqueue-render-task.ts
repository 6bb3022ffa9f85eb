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
import { enqueueOutboxMany, executePrepared, type EntityManager, type OutboxEntry } from '@reelforge/persistence';

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

/** The render jobs of `sources`, one task each, for one generation; `task.source` is ignored. */
export type RenderTasksInput = Omit<RenderTaskInput, 'source'> & { sources: RenderTaskInput['source'][] };

/** A task's render job, as the repurposer gets it. */
export interface EnqueuedTask {
  taskId: string;
  job: RenderJobRequested;
}

/** A render task about to be recorded: its id, its job, the source it cuts. */
export interface PlannedTask extends EnqueuedTask {
  sourceId: string;
}

/** One task per source, each with its render job (new task ids, nothing written yet). */
export function planRenderTasks(service: string, t: RenderTasksInput): PlannedTask[] {
  return t.sources.map((source) => {
    const taskId = uuidv7();
    const job: RenderJobRequested = makeEnvelope('render.job.requested.v1', service, t.accountId, {
      taskId,
      generationId: t.generationId,
      sourceId: source.id,
      sourceUrl: source.url,
      captionsUrl: source.captions_url,
      contentType: t.contentType,
      options: t.options,
      ownerId: t.ownerId,
      mediaRetentionDays: t.mediaRetentionDays,
      ...(t.contentType === ARTICLE_CONTENT_TYPE ? { article: articleSpec(t.article) } : {}),
    });
    return { taskId, job, sourceId: source.id };
  });
}

/**
 * The steps of a data-modifying CTE that reserve the tasks' sources for their generation and
 * record the tasks (queued); its parameters: renderTaskParams.
 */
export const renderTaskSteps = (s: string): string =>
  `reserved as (update ${s}.source_videos set state = 'reserved', generation_id = ?, updated_at = now() where id = any(?::uuid[])),
tasks as (
  insert into ${s}.generation_tasks (task_id, generation_id, source_id, status)
  select t.task_id, ?, t.source_id, 'queued' from unnest(?::uuid[], ?::uuid[]) as t (task_id, source_id)
)`;

/** The parameters of renderTaskSteps, in order. */
export function renderTaskParams(generationId: string, tasks: readonly PlannedTask[]): unknown[] {
  const sourceIds = `{${tasks.map((x) => x.sourceId).join(',')}}`;
  return [generationId, sourceIds, generationId, `{${tasks.map((x) => x.taskId).join(',')}}`, sourceIds];
}

/**
 * Reserves sources for a generation and records one task per source, with the render jobs to put
 * in the outbox in the same transaction (returned, so the caller adds its own events to the same
 * outbox statement): for user generations and backlog items alike. One statement whatever the
 * number of sources.
 */
export async function recordRenderTasks(
  em: EntityManager,
  schema: string,
  service: string,
  t: RenderTasksInput,
): Promise<EnqueuedTask[]> {
  if (t.sources.length === 0) return [];
  const tasks = planRenderTasks(service, t);
  await executePrepared(em, `with ${renderTaskSteps(`"${schema}"`)} select 1`, renderTaskParams(t.generationId, tasks));
  return tasks.map(({ taskId, job }) => ({ taskId, job }));
}

/** The outbox entries of recorded tasks' render jobs. */
export const renderJobEntries = (tasks: EnqueuedTask[]): OutboxEntry[] =>
  tasks.map(({ job }) => ({ subject: subjects.renderJob(job.accountId), envelope: job }));

/** One task (recordRenderTasks of one source), its render job in the outbox. */
export async function enqueueRenderTask(
  em: EntityManager,
  schema: string,
  service: string,
  t: RenderTaskInput,
): Promise<string> {
  const { source, ...rest } = t;
  const tasks = await recordRenderTasks(em, schema, service, { ...rest, sources: [source] });
  await enqueueOutboxMany(em, schema, renderJobEntries(tasks));
  return tasks[0]!.taskId;
}
