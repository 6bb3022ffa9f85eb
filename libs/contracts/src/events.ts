import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from './envelope.ts';
import { ArticleSpec } from './article.ts';
import { RenderOptions } from './render-options.ts';

const Uuid = Type.String({ format: 'uuid' });

/** One render job = one task. Emitted by the orchestrator (through its outbox), consumed by the repurposer. */
export const RenderJobRequested = envelopeOf(
  'render.job.requested.v1',
  Type.Object(
    {
      taskId: Uuid,
      /** The generation the task belongs to; null for a task started on its own (POST /tasks). */
      generationId: Type.Union([Uuid, Type.Null()]),
      /** The library source the orchestrator reserved; null for a task started on a bare URL. */
      sourceId: Type.Union([Uuid, Type.Null()]),
      sourceUrl: Type.String({ minLength: 1, maxLength: 4096 }),
      /** SRT or WebVTT captions supplied with the source (absent in jobs from before captions existed). */
      captionsUrl: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()])),
      contentType: Type.String({ minLength: 1, maxLength: 64 }),
      options: RenderOptions,
      /** The principal owning the account (absent in jobs from before owner scoping): task and clip reads are scoped by it. */
      ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      /** Days the clips are kept (0 = forever); absent or null = the repurposer's MEDIA_RETENTION. */
      mediaRetentionDays: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 3650 }), Type.Null()])),
      /** Present: `sourceUrl` is an article to narrate into one video (not a video to cut into clips). */
      article: Type.Optional(Type.Union([ArticleSpec, Type.Null()])),
    },
    { additionalProperties: false },
  ),
);
export type RenderJobRequested = Static<typeof RenderJobRequested>;

export const TaskStage = Type.Union(
  [
    'queued',
    'downloading',
    'probing',
    'transcribing',
    'analyzing',
    'rendering',
    'uploading',
    // An article video's own stages (docs/pipeline.md).
    'extracting',
    'scripting',
    'voicing',
    'fetching_assets',
    'composing',
    'finalizing',
    'completed',
    'failed',
    'cancelled',
  ].map((s) => Type.Literal(s)),
);
export type TaskStage = Static<typeof TaskStage>;

export const TaskStatus = Type.Union(
  ['queued', 'processing', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
);
export type TaskStatus = Static<typeof TaskStatus>;

const TaskRef = { taskId: Uuid, generationId: Type.Union([Uuid, Type.Null()]) };

/** Live progress; superseded every second, so it goes straight to JetStream, not through the outbox. */
export const TaskProgress = envelopeOf(
  'task.progress.v1',
  Type.Object(
    {
      ...TaskRef,
      stage: TaskStage,
      percent: Type.Number({ minimum: 0, maximum: 100 }),
      message: Type.String(),
      etaSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
      /** The attempt reporting (absent from older producers): a reader can tell a superseded attempt's progress from the current one's. */
      attempt: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
);
export type TaskProgress = Static<typeof TaskProgress>;

/** A task status change; terminal ones go through the repurposer's outbox. */
export const TaskStatusChanged = envelopeOf(
  'task.status.v1',
  Type.Object(
    {
      ...TaskRef,
      status: TaskStatus,
      attempt: Type.Integer({ minimum: 0 }),
      /** Retry series: 0 for the original run, +1 for each manual retry. A newer series reopens the task. */
      series: Type.Optional(Type.Integer({ minimum: 0 })),
      error: Type.Union([
        Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() }),
        Type.Null(),
      ]),
      output: Type.Union([Type.Object({ contentIds: Type.Array(Uuid) }), Type.Null()]),
      /** The task's owner principal when the producer sends it: the notifier tells this owner of a failed task outside generations. */
      ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    },
    { additionalProperties: false },
  ),
);
export type TaskStatusChanged = Static<typeof TaskStatusChanged>;

export const GenerationStatus = Type.Union(
  ['queuing', 'processing', 'completed', 'partially_failed', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
);
export type GenerationStatus = Static<typeof GenerationStatus>;

export const GenerationCounters = Type.Object({
  totalRequested: Type.Integer({ minimum: 0 }),
  queued: Type.Integer({ minimum: 0 }),
  processing: Type.Integer({ minimum: 0 }),
  completed: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  cancelled: Type.Integer({ minimum: 0 }),
});
export type GenerationCounters = Static<typeof GenerationCounters>;

export const GenerationView = Type.Object({
  id: Uuid,
  accountId: Uuid,
  contentType: Type.String(),
  status: GenerationStatus,
  counters: GenerationCounters,
  taskIds: Type.Array(Uuid),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type GenerationView = Static<typeof GenerationView>;

/** Every change of a generation's status or counters (terminal ones included), via the orchestrator's outbox. */
export const GenerationUpdated = envelopeOf(
  'content.generation.updated.v1',
  Type.Object({
    ...GenerationView.properties,
    /** The principal owning the account (absent in events from before it): the notifier tells this owner when the generation ends. */
    ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  }),
);
export type GenerationUpdated = Static<typeof GenerationUpdated>;

/**
 * Asks the repurposer to cancel tasks (a generation's cancel): queued ones are closed at once,
 * running ones have their ffmpeg killed by whichever instance runs them. Through the outbox.
 */
export const CancelRequested = envelopeOf(
  'content.cancel.requested.v1',
  Type.Object(
    {
      generationId: Type.Union([Uuid, Type.Null()]),
      taskIds: Type.Array(Uuid, { maxItems: 1000 }),
      reason: Type.String({ maxLength: 200 }),
    },
    { additionalProperties: false },
  ),
);
export type CancelRequested = Static<typeof CancelRequested>;
