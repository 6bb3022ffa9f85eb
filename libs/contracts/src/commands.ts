import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { GenerationCounters, GenerationView } from './events.ts';
import { ArticleGenerationOptions, ArticleScript, ArticleSpec } from './article.ts';
import { PublicRenderOptions, RenderOptions } from './render-options.ts';

const Uuid = Type.String({ format: 'uuid' });

/** The caller on whose behalf a command runs; owners scope every read and write to it. */
export const Principal = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  roles: Type.Array(Type.String()),
});
export type Principal = Static<typeof Principal>;

export interface CommandDeclaration<Req extends TSchema, Res extends TSchema> {
  subject: string;
  request: Req;
  response: Res;
}

export function command<Req extends TSchema, Res extends TSchema>(
  subject: string,
  request: Req,
  response: Res,
): CommandDeclaration<Req, Res> {
  return { subject, request, response };
}

const MediaRetentionDays = Type.Integer({ minimum: 0, maximum: 3650 });
const AutoGenerateType = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' });
const AutoGenerateCount = Type.Integer({ minimum: 1, maximum: 100 });

export const AccountView = Type.Object({
  id: Uuid,
  name: Type.String(),
  timezone: Type.String(),
  autoGenerateEnabled: Type.Boolean(),
  autoGenerateHour: Type.Union([Type.Integer({ minimum: 0, maximum: 23 }), Type.Null()]),
  autoGenerateType: Type.Union([AutoGenerateType, Type.Null()], {
    description: 'Content type auto-generation starts; null = the scheduler default (shorts)',
  }),
  autoGenerateCount: Type.Union([AutoGenerateCount, Type.Null()], {
    description: 'Clips per auto-generation; null = the scheduler default (1)',
  }),
  mediaRetentionDays: Type.Union([MediaRetentionDays, Type.Null()], {
    description:
      'Days a clip of this account is kept (0 = forever); null = the service default. Applies to clips made after a change.',
  }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type AccountView = Static<typeof AccountView>;

export const StorageUsage = Type.Object({
  accountId: Uuid,
  usedBytes: Type.Integer(),
  /** 0 = no quota. */
  quotaBytes: Type.Integer(),
  clips: Type.Integer(),
});
export type StorageUsage = Static<typeof StorageUsage>;

const SourceKind = Type.Union([Type.Literal('video'), Type.Literal('article')]);
type SourceKind = Static<typeof SourceKind>;
/** The generation type that narrates article sources; every other type cuts video sources into clips. */
export const ARTICLE_CONTENT_TYPE = 'article';

export const SourceView = Type.Object({
  id: Uuid,
  accountId: Uuid,
  url: Type.String(),
  captionsUrl: Type.Union([Type.String(), Type.Null()]),
  /** `video`: cut into clips by a generation of any type but `article`; `article`: a page narrated by an `article` generation. */
  kind: SourceKind,
  state: Type.Union(['available', 'reserved', 'used', 'failed'].map((s) => Type.Literal(s))),
  createdAt: Type.String({ format: 'date-time' }),
});
export type SourceView = Static<typeof SourceView>;

export const CreateAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    autoGenerateEnabled: Type.Optional(Type.Boolean()),
    autoGenerateHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23 })),
  },
  { additionalProperties: false },
);

/** The public body of `POST /accounts/:id/sources`: an http(s) URL, or an upload of the caller's. */
const CaptionsUrl = Type.String({
  minLength: 1,
  maxLength: 4096,
  pattern: '^https?://',
  description: 'Captions for this video, SRT or WebVTT: burned into its clips.',
});
export const RegisterSourceBody = Type.Union([
  Type.Object(
    {
      url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' }),
      captionsUrl: Type.Optional(CaptionsUrl),
      kind: Type.Optional(SourceKind),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { uploadId: Type.String({ format: 'uuid' }), captionsUrl: Type.Optional(CaptionsUrl) },
    { additionalProperties: false },
  ),
]);

/** What the orchestrator records: an http(s) URL, or `media:<key>` for a file already in the media store. */
const SourceLocation = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^(https?://|media:uploads/)' }),
    captionsUrl: Type.Optional(CaptionsUrl),
    kind: Type.Optional(SourceKind),
  },
  { additionalProperties: false },
);

const generationFields = {
  type: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  /** For `type: "article"`: how each article video is narrated. */
  article: Type.Optional(ArticleGenerationOptions),
};
/** A generation as a client asks for it. */
export const StartGenerationBody = Type.Object(
  { ...generationFields, options: Type.Optional(PublicRenderOptions) },
  { additionalProperties: false },
);
/** The same after the gateway resolved upload ids (the logo's) to media-store locations. */
export const ResolvedGenerationBody = Type.Object(
  { ...generationFields, options: Type.Optional(RenderOptions) },
  { additionalProperties: false },
);

/** `POST /tasks`: one source → clips, outside any generation (no lock, no library source). */
const taskFields = {
  accountId: Type.String({ format: 'uuid' }),
  captionsUrl: Type.Optional(CaptionsUrl),
  options: Type.Optional(PublicRenderOptions),
};
export const CreateTaskBody = Type.Union([
  Type.Object(
    { ...taskFields, url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' }) },
    { additionalProperties: false },
  ),
  Type.Object({ ...taskFields, uploadId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
]);

/** `GET /tasks`'s query (camelCase like bodies; the gateway also takes the deprecated `account_id`). */
export const TaskListQuery = Type.Object(
  {
    accountId: Type.Optional(Type.String({ format: 'uuid' })),
    status: Type.Optional(
      Type.Union(
        ['queued', 'processing', 'cancelling', 'completed', 'failed', 'cancelled'].map((x) => Type.Literal(x)),
      ),
    ),
    /** `clips` (videos cut into clips) or `article` (narrated article videos); both when absent. */
    kind: Type.Optional(Type.Union([Type.Literal('clips'), Type.Literal('article')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const UpdateAccountBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    autoGenerateEnabled: Type.Optional(Type.Boolean()),
    autoGenerateHour: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 23 }), Type.Null()])),
    autoGenerateType: Type.Optional(
      Type.Union([AutoGenerateType, Type.Null()], { description: 'null = the scheduler default' }),
    ),
    autoGenerateCount: Type.Optional(
      Type.Union([AutoGenerateCount, Type.Null()], { description: 'null = the scheduler default' }),
    ),
    mediaRetentionDays: Type.Optional(
      Type.Union([MediaRetentionDays, Type.Null()], {
        description: 'Days clips are kept (0 = forever, null = the service default)',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

export const CleanupSummary = Type.Object({
  examined: Type.Integer(),
  fixed: Type.Array(
    Type.Object({ generationId: Uuid, case: Type.String(), status: Type.String(), counters: GenerationCounters }),
  ),
  locksRemoved: Type.Integer(),
});
export type CleanupSummary = Static<typeof CleanupSummary>;

const AutoGenerateRequest = Type.Object({
  at: Type.String({ format: 'date-time' }),
  type: Type.Optional(generationFields.type),
  count: generationFields.count,
});
export const AutoGenerateSummary = Type.Object({
  at: Type.String(),
  /** Accounts whose hour it is. */
  due: Type.Integer(),
  started: Type.Integer(),
  /** Due accounts whose generation of this slot already exists (a repeated run). */
  alreadyStarted: Type.Integer(),
  /** Due accounts with a generation of that type still running (locked). */
  skippedLocked: Type.Integer(),
  /** Failures per error code (e.g. NO_SOURCES_AVAILABLE). */
  failed: Type.Record(Type.String(), Type.Integer()),
});
export type AutoGenerateSummary = Static<typeof AutoGenerateSummary>;

/**
 * The client's `Idempotency-Key`, passed on by the gateway: the owner returns what the first request
 * with it made (same principal and route) instead of making a second one.
 */
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' });

/** A DLQ entry is named by its sequence in the DLQ stream. */
const DeadLetterId = Type.Integer({ minimum: 1 });

/** A dead letter as operators see it (the payload cut to its first 2,000 characters). */
export const DeadLetterView = Type.Object({
  id: DeadLetterId,
  stream: Type.String(),
  consumer: Type.String(),
  subject: Type.String(),
  streamSequence: Type.Integer(),
  deliveries: Type.Integer(),
  reason: Type.String(),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
  failedAt: Type.String(),
  payload: Type.String(),
  payloadEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  payloadTruncated: Type.Boolean(),
});
export type DeadLetterView = Static<typeof DeadLetterView>;

/** Where a redriven dead letter went: its original subject, now at `sequence` of `stream`. */
export const RedriveResult = Type.Object({
  id: DeadLetterId,
  subject: Type.String(),
  stream: Type.String(),
  sequence: Type.Integer(),
  duplicate: Type.Boolean(),
});
export type RedriveResult = Static<typeof RedriveResult>;

/** Request/reply commands owned by the content-orchestrator (queue group = service name). */
export const orchestratorCommands = {
  createAccount: command(
    'cmd.orchestrator.accounts.create',
    Type.Object({ principal: Principal, body: CreateAccountBody }),
    AccountView,
  ),
  getAccount: command(
    'cmd.orchestrator.accounts.get',
    Type.Object({ principal: Principal, accountId: Uuid }),
    AccountView,
  ),
  listAccounts: command(
    'cmd.orchestrator.accounts.list',
    Type.Object({ principal: Principal }),
    Type.Object({ items: Type.Array(AccountView) }),
  ),
  registerSource: command(
    'cmd.orchestrator.sources.register',
    Type.Object({ principal: Principal, accountId: Uuid, body: SourceLocation }),
    SourceView,
  ),
  startGeneration: command(
    'cmd.orchestrator.generations.start',
    Type.Object({
      principal: Principal,
      accountId: Uuid,
      body: ResolvedGenerationBody,
      idempotencyKey: Type.Optional(IdempotencyKey),
    }),
    Type.Object({ generation: GenerationView, shortBy: Type.Integer({ minimum: 0 }) }),
  ),
  getGeneration: command(
    'cmd.orchestrator.generations.get',
    Type.Object({ principal: Principal, generationId: Uuid }),
    GenerationView,
  ),
  updateAccount: command(
    'cmd.orchestrator.accounts.update',
    Type.Object({ principal: Principal, accountId: Uuid, body: UpdateAccountBody }),
    AccountView,
  ),
  listSources: command(
    'cmd.orchestrator.sources.list',
    Type.Object({ principal: Principal, accountId: Uuid, ...Page }),
    Type.Object({ items: Type.Array(SourceView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  listGenerations: command(
    'cmd.orchestrator.generations.list',
    Type.Object({ principal: Principal, accountId: Uuid, onlyOpen: Type.Optional(Type.Boolean()), ...Page }),
    Type.Object({ items: Type.Array(GenerationView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  cancelGeneration: command(
    'cmd.orchestrator.generations.cancel',
    Type.Object({ principal: Principal, generationId: Uuid }),
    GenerationView,
  ),
  cleanupStuckGenerations: command('cmd.orchestrator.jobs.cleanup-stuck-generations', Type.Object({}), CleanupSummary),
  /** The scheduler's hourly slot `at`: accounts whose auto-generate hour is `at`'s hour in their time zone get one generation. */
  autoGenerateContent: command('cmd.orchestrator.jobs.auto-generate-content', AutoGenerateRequest, AutoGenerateSummary),
  /** The shared DLQ, for operators (the orchestrator serves it; the gateway checks the role, the orchestrator again). */
  listDeadLetters: command(
    'cmd.orchestrator.deadLetters.list',
    Type.Object({ principal: Principal, ...Page }),
    Type.Object({ items: Type.Array(DeadLetterView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  redriveDeadLetter: command(
    'cmd.orchestrator.deadLetters.redrive',
    Type.Object({ principal: Principal, id: DeadLetterId }),
    RedriveResult,
  ),
} as const;

export const TaskView = Type.Object({
  id: Uuid,
  accountId: Uuid,
  generationId: Type.Union([Uuid, Type.Null()]),
  /** `clips`: a video cut into clips; `article`: an article narrated into one video. */
  kind: Type.Union([Type.Literal('clips'), Type.Literal('article')]),
  /** The article video's script, once written (null for clips, or before the script stage). */
  script: Type.Union([ArticleScript, Type.Null()]),
  status: Type.Union(
    ['queued', 'processing', 'cancelling', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
  ),
  stage: Type.String(),
  percent: Type.Number(),
  attempt: Type.Integer(),
  series: Type.Integer(),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      startedAt: Type.String(),
      finishedAt: Type.Union([Type.String(), Type.Null()]),
      error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type TaskView = Static<typeof TaskView>;

export const TaskStats = Type.Object({
  byStatus: Type.Record(Type.String(), Type.Integer()),
  oldestQueuedAgeSeconds: Type.Union([Type.Number(), Type.Null()]),
  completedLastMinute: Type.Integer(),
  completedLastHour: Type.Integer(),
  retriedTasks: Type.Integer(),
  deadLettered: Type.Integer(),
});
export type TaskStats = Static<typeof TaskStats>;

export const ContentView = Type.Object({
  id: Uuid,
  taskId: Uuid,
  accountId: Uuid,
  clipIndex: Type.Integer(),
  durationSeconds: Type.Number(),
  sizeBytes: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  checksumSha256: Type.String(),
  /** The source spans this clip was cut from (several when joined with a transition). */
  segment: Type.Array(Type.Object({ start: Type.Number(), end: Type.Number() })),
  /** The analysis score (null for segments the caller chose) and why the segment was picked. */
  score: Type.Union([Type.Number(), Type.Null()]),
  reason: Type.String(),
  captioned: Type.Boolean(),
  title: Type.Union([Type.String(), Type.Null()]),
  hasThumbnail: Type.Boolean(),
  kind: Type.Union([Type.Literal('clip'), Type.Literal('article')]),
  /** What it was made from: the source video's or the article's URL (null for an upload). */
  sourceUrl: Type.Union([Type.String(), Type.Null()]),
  /** An article video's script (null for clips). */
  script: Type.Union([ArticleScript, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type ContentView = Static<typeof ContentView>;

/**
 * The caller. The repurposer scopes by the owner principal recorded with each task and clip (from
 * the render job), not by a list of account ids: a principal with any number of accounts sees them all.
 */
const Scope = { principal: Principal };

/** Request/reply commands owned by the repurposer. */
export const repurposerCommands = {
  getTask: command('cmd.repurposer.tasks.get', Type.Object({ ...Scope, taskId: Uuid }), TaskView),
  cancelTask: command('cmd.repurposer.tasks.cancel', Type.Object({ ...Scope, taskId: Uuid }), TaskView),
  retryTask: command('cmd.repurposer.tasks.retry', Type.Object({ ...Scope, taskId: Uuid }), TaskView),
  taskStats: command('cmd.repurposer.tasks.stats', Type.Object(Scope), TaskStats),
  createTask: command(
    'cmd.repurposer.tasks.create',
    Type.Object({
      ...Scope,
      accountId: Uuid,
      sourceUrl: SourceLocation.properties.url,
      captionsUrl: Type.Union([CaptionsUrl, Type.Null()]),
      options: RenderOptions,
      idempotencyKey: Type.Optional(IdempotencyKey),
      /** The account's clip retention (its view's `mediaRetentionDays`). */
      mediaRetentionDays: Type.Optional(Type.Union([MediaRetentionDays, Type.Null()])),
      /** An article to narrate (sourceUrl is its page); absent: a video to cut into clips. */
      article: Type.Optional(ArticleSpec),
    }),
    TaskView,
  ),
  listTasks: command(
    'cmd.repurposer.tasks.list',
    Type.Object({
      ...Scope,
      accountId: Type.Optional(Uuid),
      status: Type.Optional(Type.String({ maxLength: 32 })),
      kind: Type.Optional(Type.Union([Type.Literal('clips'), Type.Literal('article')])),
      ...Page,
    }),
    Type.Object({ items: Type.Array(TaskView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  listContent: command(
    'cmd.repurposer.content.list',
    Type.Object({
      ...Scope,
      accountId: Type.Optional(Uuid),
      taskId: Type.Optional(Uuid),
      kind: Type.Optional(Type.Union([Type.Literal('clip'), Type.Literal('article')])),
      ...Page,
    }),
    Type.Object({ items: Type.Array(ContentView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  /** What fontconfig on the render workers can really draw (title and caption fonts must be one of these). */
  listFonts: command(
    'cmd.repurposer.fonts.list',
    Type.Object({}),
    Type.Object({
      defaultFamily: Type.String(),
      items: Type.Array(Type.Object({ family: Type.String(), styles: Type.Array(Type.String()) })),
    }),
  ),
  getContent: command('cmd.repurposer.content.get', Type.Object({ ...Scope, contentId: Uuid }), ContentView),
  /** Where a clip's bytes are in the media store (for the gateway's streaming route; never shown to clients). */
  locateContent: command(
    'cmd.repurposer.content.locate',
    Type.Object({ ...Scope, contentId: Uuid, kind: Type.Union([Type.Literal('video'), Type.Literal('thumbnail')]) }),
    Type.Object({ mediaKey: Type.String(), sizeBytes: Type.Integer(), contentType: Type.String() }),
  ),
  /** Deletes a clip (file, thumbnail, row) of the caller's. */
  deleteContent: command(
    'cmd.repurposer.content.delete',
    Type.Object({ ...Scope, contentId: Uuid }),
    Type.Object({ deleted: Type.Boolean() }),
  ),
  /** Bytes of clips an account keeps, against its quota. */
  contentUsage: command('cmd.repurposer.content.usage', Type.Object({ ...Scope, accountId: Uuid }), StorageUsage),
  /** The real states of tasks (the cleanup job recomputes generations from them). */
  taskStates: command(
    'cmd.repurposer.tasks.states',
    Type.Object({ taskIds: Type.Array(Uuid, { maxItems: 10_000 }) }),
    Type.Object({
      states: Type.Array(
        Type.Object({ taskId: Uuid, status: Type.String(), errorCode: Type.Union([Type.String(), Type.Null()]) }),
      ),
    }),
  ),
} as const;

/** One in-app notification of a principal (a generation that ended, a task outside generations that failed, an instant claim). */
export const NotificationView = Type.Object({
  id: Uuid,
  kind: Type.Union(
    [
      'generation.completed',
      'generation.partially_failed',
      'generation.failed',
      'generation.cancelled',
      'task.failed',
      'backlog.item.claimed',
    ].map((k) => Type.Literal(k)),
  ),
  accountId: Uuid,
  /** The generation or task it is about. */
  subjectId: Uuid,
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type NotificationView = Static<typeof NotificationView>;

/** `POST /notifications/read`: some of the caller's notifications by id, or all of them. */
export const MarkReadBody = Type.Union([
  Type.Object({ ids: Type.Array(Uuid, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
  Type.Object({ all: Type.Literal(true) }, { additionalProperties: false }),
]);
export type MarkReadBody = Static<typeof MarkReadBody>;

export const NotificationPage = Type.Object({
  items: Type.Array(NotificationView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  unread: Type.Integer({ minimum: 0 }),
});
export type NotificationPage = Static<typeof NotificationPage>;

/** Where and whether a principal gets e-mail. Without an address nothing is mailed; `emailOptOut` stops every mail. */
export const NotificationPreferences = Type.Object({
  email: Type.Union([Type.String(), Type.Null()]),
  emailOptOut: Type.Boolean(),
  /** A mail when a generation ends. */
  completionEmail: Type.Boolean(),
  /** A mail now and then (at most every 12 hours) with the count of unread notifications. */
  digest: Type.Boolean(),
});
export type NotificationPreferences = Static<typeof NotificationPreferences>;

/** `PUT /notification-preferences`: the fields to change (absent ones keep their value; at least one). */
export const NotificationPreferencesBody = Type.Object(
  {
    email: Type.Optional(
      Type.Union([Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@<>]+@[^\\s@<>]+$' }), Type.Null()]),
    ),
    emailOptOut: Type.Optional(Type.Boolean()),
    completionEmail: Type.Optional(Type.Boolean()),
    digest: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type NotificationPreferencesBody = Static<typeof NotificationPreferencesBody>;

/** Request/reply commands owned by the notifier; every one is scoped to the principal. */
export const notifierCommands = {
  listNotifications: command(
    'cmd.notifier.notifications.list',
    Type.Object({ principal: Principal, ...Page }),
    NotificationPage,
  ),
  getPreferences: command(
    'cmd.notifier.preferences.get',
    Type.Object({ principal: Principal }),
    NotificationPreferences,
  ),
  putPreferences: command(
    'cmd.notifier.preferences.put',
    Type.Object({ principal: Principal, body: NotificationPreferencesBody }),
    NotificationPreferences,
  ),
  /** The scheduler's hourly digest job: mails each opted-in principal with unread notifications whose last digest is ≥ 12 h old. */
  sendDigests: command(
    'cmd.notifier.digest.send',
    // `at`: the scheduler's slot, for the logs; whether 12 h have passed is the notifier's own clock.
    Type.Object({ at: Type.Optional(Type.String({ maxLength: 64 })) }),
    Type.Object({ sent: Type.Integer({ minimum: 0 }) }),
  ),
  markRead: command(
    'cmd.notifier.notifications.read',
    Type.Object({ principal: Principal, body: MarkReadBody }),
    Type.Object({ updated: Type.Integer({ minimum: 0 }), unread: Type.Integer({ minimum: 0 }) }),
  ),
} as const;

export const JOB_RUN_STATUSES = ['running', 'succeeded', 'failed', 'died'] as const;
export const JobRunView = Type.Object({
  id: Uuid,
  job: Type.String(),
  slot: Type.String(),
  status: Type.Union(JOB_RUN_STATUSES.map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  summary: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type JobRunView = Static<typeof JobRunView>;

/** Request/reply commands owned by the scheduler; both are for operators (the gateway checks the role, the scheduler again). */
export const schedulerCommands = {
  listRuns: command(
    'cmd.scheduler.runs.list',
    Type.Object({
      principal: Principal,
      job: Type.Optional(Type.String({ maxLength: 100 })),
      status: Type.Optional(Type.String({ maxLength: 32 })),
      ...Page,
    }),
    Type.Object({ items: Type.Array(JobRunView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  /** Runs a job now in a slot of its own (the instant asked), whatever its cron. */
  runJob: command(
    'cmd.scheduler.jobs.run',
    Type.Object({ principal: Principal, job: Type.String({ maxLength: 100 }) }),
    JobRunView,
  ),
} as const;
