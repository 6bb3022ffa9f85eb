import {
  DomainError,
  makeEnvelope,
  subjects,
  uuidv7,
  type ArticleScript,
  type RenderJobRequested,
  type RenderOptions,
  type TaskStatus,
} from '@reelforge/contracts';
import {
  enqueueOutbox,
  enqueueOutboxMany,
  keyedOutboxRow,
  type EntityManager,
  type MikroORM,
  type OutboxEntry,
} from '@reelforge/persistence';
import { TaskErrorCodes } from '../pipeline/errors.ts';
import { adoptOwnerlessRows } from './owner-backfill.ts';
import { createFastTransitions, type ClipRow, type FreshTaskRow } from './fast-transitions.ts';
import { createStageWrites } from './stage-writes.ts';

export interface StoredClip {
  clipIndex: number;
  mediaKey: string;
  durationSeconds: number;
  sizeBytes: number;
  width: number;
  height: number;
  checksumSha256: string;
  /** The source spans the clip was cut from, why, and what was burned in. */
  segment: { start: number; end: number }[];
  score: number | null;
  reason: string;
  captioned: boolean;
  title: string | null;
  thumbnailKey: string;
  /** An article video (with its script) rather than a clip. */
  script?: ArticleScript;
}

export interface TaskError {
  code: string;
  message: string;
  retryable: boolean;
}

/** What the task row says about whom to tell (subjects are per account). */
interface TaskRef {
  taskId: string;
  accountId: string;
  generationId: string | null;
}

/**
 * `used`: attempts of the current series that count against the retry budget, this one included
 * (attempts interrupted by a shutdown do not). `exhausted`: the budget was spent by attempts that
 * never finished (the worker crashed or was killed every time), so this one does not run.
 */
export type BeginResult =
  | { kind: 'run'; attempt: number; series: number; used: number }
  | { kind: 'exhausted'; used: number }
  | { kind: 'done' }
  | { kind: 'cancelled' };

const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * The repurposer's task table, written in transactions that also put the task's status event in
 * the outbox: a status is recorded if and only if its event will be published.
 */
/** How long clips are kept by default (0 = forever): a job's own `mediaRetentionDays` wins. */
export function createTaskStore(deps: {
  orm: MikroORM;
  schema: string;
  service: string;
  afterCommit: () => void;
  retentionMs?: number;
}) {
  const s = `"${deps.schema}"`;
  const stages = createStageWrites(deps);

  /** Puts the task's status event (statusEntry) in the outbox, in the caller's transaction. */
  async function statusEvent(em: EntityManager, ...event: Parameters<typeof statusEntry>) {
    await enqueueOutboxMany(em, deps.schema, [statusEntry(...event)]);
  }

  /** `ownerId`: the task row's owner, read by the caller with the row (it rides along for internal consumers). */
  function statusEntry(
    ref: TaskRef,
    ownerId: string | null,
    status: TaskStatus,
    attempt: number,
    series: number,
    error: TaskError | null,
    contentIds: string[] | null,
  ): OutboxEntry {
    const event = makeEnvelope('task.status.v1', deps.service, ref.accountId, {
      ...(ownerId ? { ownerId } : {}),
      taskId: ref.taskId,
      generationId: ref.generationId,
      status,
      attempt,
      series,
      error,
      output: contentIds ? { contentIds } : null,
    });
    return { subject: subjects.taskStatus(ref.accountId), envelope: event };
  }

  async function inTx<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const result = await deps.orm.em.fork().transactional(fn);
    deps.afterCommit();
    return result;
  }

  const TASK_COLUMNS =
    'id, account_id, generation_id, source_id, source_url, content_type, options, inputs, kind, owner_id';
  /** The task's row as a first delivery writes it (fast-transitions.ts reads these names). */
  const taskRow = (job: RenderJobRequested): FreshTaskRow => ({
    id: job.data.taskId,
    account_id: job.accountId,
    generation_id: job.data.generationId,
    source_id: job.data.sourceId,
    source_url: job.data.sourceUrl,
    content_type: job.data.contentType,
    options: job.data.options,
    // `inputs` keeps the whole job data (captions, logo, options…): a manual retry rebuilds the same job from it.
    inputs: job.data,
    kind: job.data.article ? 'article' : 'clips',
    owner_id: job.data.ownerId ?? null,
  });
  /** taskRow in TASK_COLUMNS order, for the transaction's insert. */
  const taskValues = (job: RenderJobRequested): unknown[] => {
    const r = taskRow(job);
    return [
      r.id,
      r.account_id,
      r.generation_id,
      r.source_id,
      r.source_url,
      r.content_type,
      JSON.stringify(r.options),
      JSON.stringify(r.inputs),
      r.kind,
      r.owner_id,
    ];
  };
  const TASK_PLACEHOLDERS = '?::uuid, ?::uuid, ?::uuid, ?::uuid, ?, ?, ?::jsonb, ?::jsonb, ?, ?';

  const insertTask = async (em: EntityManager, job: RenderJobRequested): Promise<void> => {
    await em.execute(
      `insert into ${s}.tasks (${TASK_COLUMNS}, status) values (${TASK_PLACEHOLDERS}, 'queued') on conflict (id) do nothing`,
      taskValues(job),
    );
    // The owner principal scopes every read: the new row has it, and any older ownerless rows of
    // the account get it. A job from before owner scoping names none (its rows stay invisible until
    // a job of the account that does arrives).
    if (job.data.ownerId) await adoptOwnerlessRows(em, s, job.accountId, job.data.ownerId);
  };

  /** A clip's row (fast-transitions.ts reads these names; owner_id comes from the task row). */
  const clipRow = (job: RenderJobRequested, c: StoredClip, id: string, expiresAt: string | null): ClipRow => ({
    id,
    task_id: job.data.taskId,
    account_id: job.accountId,
    clip_index: c.clipIndex,
    media_key: c.mediaKey,
    duration_seconds: c.durationSeconds,
    size_bytes: c.sizeBytes,
    width: c.width,
    height: c.height,
    checksum_sha256: c.checksumSha256,
    segment: c.segment,
    score: c.score,
    reason: c.reason,
    captioned: c.captioned,
    title: c.title,
    thumbnail_key: c.thumbnailKey,
    expires_at: expiresAt,
    kind: c.script ? 'article' : 'clip',
    // An upload's location is ours, not something to show.
    source_url: job.data.sourceUrl.startsWith('media:') ? null : job.data.sourceUrl,
    script: c.script ?? null,
  });
  const CLIP_COLUMNS =
    'id, task_id, account_id, clip_index, media_key, duration_seconds, size_bytes, width, height, checksum_sha256, segment, score, reason, captioned, title, thumbnail_key, owner_id, expires_at, kind, source_url, script';
  const CLIP_PLACEHOLDERS = `?::uuid, ?::uuid, ?::uuid, ?::int, ?, ?::float8, ?::int8, ?::int, ?::int, ?, ?::jsonb, ?::float8, ?, ?::boolean, ?, ?, (select owner_id from ${s}.tasks where id = ?::uuid), ?::timestamptz, ?, ?, ?::jsonb`;
  /** clipRow in CLIP_COLUMNS order (owner_id: the task id its subquery reads), for the transaction's insert. */
  const clipValues = (r: ClipRow): unknown[] => [
    r.id,
    r.task_id,
    r.account_id,
    r.clip_index,
    r.media_key,
    r.duration_seconds,
    r.size_bytes,
    r.width,
    r.height,
    r.checksum_sha256,
    JSON.stringify(r.segment),
    r.score,
    r.reason,
    r.captioned,
    r.title,
    r.thumbnail_key,
    r.task_id,
    r.expires_at,
    r.kind,
    r.source_url,
    r.script === null ? null : JSON.stringify(r.script),
  ];
  /** When a job's clips expire: its own `mediaRetentionDays`, else the service's default (none when 0). */
  const clipExpiry = (job: RenderJobRequested): string | null => {
    const days = job.data.mediaRetentionDays;
    const keepMs = days === undefined || days === null ? (deps.retentionMs ?? 0) : days * 86_400_000;
    return keepMs > 0 ? new Date(Date.now() + keepMs).toISOString() : null;
  };

  const fast = createFastTransitions(deps);

  /**
   * Completes the task in one statement, group-committed with other tasks' completions
   * (fast-transitions.ts), if `attempt` is still its current one and it is open: the row, its
   * attempt, its clips and the `completed` event. Null when nothing was written (superseded or
   * closed, or a clip row already exists): complete's transaction then decides.
   */
  async function completeAtOnce(
    job: RenderJobRequested,
    attempt: number,
    series: number,
    clips: StoredClip[],
  ): Promise<string[] | null> {
    const { taskId, ownerId } = job.data;
    if (!ownerId) return null; // a job from before owner scoping: the row's owner is read in the transaction
    const expiresAt = clipExpiry(job);
    const ids = clips.map(() => uuidv7());
    const written = await fast.complete({
      taskId,
      attempt,
      clips: clips.map((c, i) => clipRow(job, c, ids[i]!, expiresAt)),
      event: keyedOutboxRow(taskId, statusEntry(ref(job), ownerId, 'completed', attempt, series, null, ids)),
    });
    return written ? ids : null;
  }

  /**
   * A job's first delivery, in one statement group-committed with other first deliveries
   * (fast-transitions.ts): the task is created already running its attempt 1, with the attempt row
   * and the `processing` event. Taken only when the task does not exist yet and no cancel awaits
   * it; otherwise (a redelivery, a retry, a cancel) nothing is written and beginAttempt's
   * transaction decides.
   */
  async function beginFirstAttempt(job: RenderJobRequested): Promise<BeginResult | undefined> {
    const ownerId = job.data.ownerId ?? null;
    const created = await fast.beginFresh({
      task: taskRow(job),
      event: keyedOutboxRow(job.data.taskId, statusEntry(ref(job), ownerId, 'processing', 1, 0, null, null)),
    });
    return created ? { kind: 'run', attempt: 1, series: 0, used: 1 } : undefined;
  }
  const ref = (job: RenderJobRequested): TaskRef => ({
    taskId: job.data.taskId,
    accountId: job.accountId,
    generationId: job.data.generationId,
  });

  /** Closes a task as cancelled (finishing its open attempt) and announces it. */
  async function closeCancelled(em: EntityManager, r: TaskRef, series: number, reason: string): Promise<void> {
    await em.execute(
      `update ${s}.tasks set status = 'cancelled', stage = 'cancelled', error_code = 'CANCELLED', error_message = ?, finished_at = now(), updated_at = now() where id = ?`,
      [reason, r.taskId],
    );
    await em.execute(
      `update ${s}.task_attempts set finished_at = now(), error_code = 'CANCELLED', error_message = ? where task_id = ? and finished_at is null`,
      [reason, r.taskId],
    );
    const [{ attempt, owner_id } = { attempt: 0, owner_id: null }] = await em.execute<
      { attempt: number; owner_id: string | null }[]
    >(`select attempt, owner_id from ${s}.tasks where id = ?`, [r.taskId]);
    await statusEvent(
      em,
      r,
      owner_id,
      'cancelled',
      attempt,
      series,
      { code: 'CANCELLED', message: reason, retryable: false },
      null,
    );
  }

  return {
    /**
     * Creates the task on its first delivery and opens the next attempt. A task already terminal
     * (a redelivery after its result was committed) is 'done': nothing runs twice. A task that was
     * cancelled before or while it ran (its worker died) closes as 'cancelled', never resurrected.
     */
    /** A task asked for on its own (POST /tasks): its row and its render job, in one transaction. */
    create: (job: RenderJobRequested): Promise<void> =>
      inTx(async (em) => {
        await insertTask(em, job);
        await enqueueOutbox(em, deps.schema, subjects.renderJob(job.accountId), job);
      }),

    beginAttempt: async (job: RenderJobRequested, maxAttempts: number): Promise<BeginResult> =>
      (maxAttempts >= 1 ? await beginFirstAttempt(job) : undefined) ??
      inTx(async (em) => {
        const taskId = job.data.taskId;
        await insertTask(em, job);
        // The task (locked) and any cancel recorded for it, in one read.
        const [task] = await em.execute<
          { status: string; series: number; owner_id: string | null; cancel_reason: string | null }[]
        >(
          `select t.status, t.series, t.owner_id, c.reason as cancel_reason from ${s}.tasks t
             left join ${s}.task_cancellations c on c.task_id = t.id where t.id = ? for update of t`,
          [taskId],
        );
        if (!task || TERMINAL.includes(task.status)) return { kind: 'done' };
        if (task.cancel_reason !== null || task.status === 'cancelling') {
          await closeCancelled(em, ref(job), task.series, task.cancel_reason ?? 'cancelled');
          return { kind: 'cancelled' };
        }
        const [{ next, used } = { next: 1, used: 0 }] = await em.execute<{ next: number; used: number }[]>(
          `select coalesce(max(attempt), 0) + 1 as next, (count(*) filter (where series = ? and error_code is distinct from ?))::int as used from ${s}.task_attempts where task_id = ?`,
          [task.series, TaskErrorCodes.INTERRUPTED, taskId],
        );
        if (used >= maxAttempts) return { kind: 'exhausted', used };
        await em.execute(
          `update ${s}.tasks set status = 'processing', stage = 'downloading', percent = 0, attempt = ?, started_at = coalesce(started_at, now()), updated_at = now() where id = ?`,
          [next, taskId],
        );
        await em.execute(`insert into ${s}.task_attempts (task_id, attempt, series) values (?, ?, ?)`, [
          taskId,
          next,
          task.series,
        ]);
        await statusEvent(em, ref(job), task.owner_id, 'processing', next, task.series, null, null);
        return { kind: 'run', attempt: next, series: task.series, used: used + 1 };
      }),

    /**
     * Stores the clips (at most once per task and clip index) and completes the task, if `attempt`
     * is still the task's current one; null (nothing written) when a newer attempt superseded it
     * (its delivery came back while this one still ran) or the task is already closed.
     */
    complete: async (
      job: RenderJobRequested,
      attempt: number,
      series: number,
      clips: StoredClip[],
    ): Promise<string[] | null> =>
      (await completeAtOnce(job, attempt, series, clips)) ??
      inTx(async (em) => {
        const [task] = await em.execute<{ status: string; attempt: number; owner_id: string | null }[]>(
          `select status, attempt, owner_id from ${s}.tasks where id = ? for update`,
          [job.data.taskId],
        );
        if (!task || TERMINAL.includes(task.status) || task.attempt !== attempt) return null;
        const ids: string[] = [];
        const expiresAt = clipExpiry(job);
        for (const c of clips) {
          await em.execute(
            `insert into ${s}.generated_content (${CLIP_COLUMNS}) values (${CLIP_PLACEHOLDERS}) on conflict (task_id, clip_index) do nothing`,
            clipValues(clipRow(job, c, uuidv7(), expiresAt)),
          );
          const [row] = await em.execute<{ id: string }[]>(
            `select id from ${s}.generated_content where task_id = ? and clip_index = ?`,
            [job.data.taskId, c.clipIndex],
          );
          if (row) ids.push(row.id);
        }
        await em.execute(
          `update ${s}.tasks set status = 'completed', stage = 'completed', percent = 100, error_code = null, error_message = null, finished_at = now(), updated_at = now() where id = ?`,
          [job.data.taskId],
        );
        await em.execute(`update ${s}.task_attempts set finished_at = now() where task_id = ? and attempt = ?`, [
          job.data.taskId,
          attempt,
        ]);
        await statusEvent(em, ref(job), task.owner_id, 'completed', attempt, series, null, ids);
        return ids;
      }),

    /** Keeps an article video's script on its task as soon as it is written (the task view shows it while the video is made). */
    recordScript: async (taskId: string, attempt: number, script: ArticleScript): Promise<void> => {
      await deps.orm.em
        .fork()
        .execute(`update ${s}.tasks set script = ?::jsonb, updated_at = now() where id = ? and attempt = ?`, [
          JSON.stringify(script),
          taskId,
          attempt,
        ]);
    },

    /** Records why an attempt failed; the task stays open for the next attempt. */
    recordAttemptError: (taskId: string, attempt: number, error: TaskError): Promise<void> =>
      inTx(async (em) => {
        await em.execute(
          `update ${s}.task_attempts set finished_at = now(), error_code = ?, error_message = ? where task_id = ? and attempt = ?`,
          [error.code, error.message, taskId, attempt],
        );
        // The task row speaks for its current attempt only: a superseded one's error stays on its attempt row.
        await em.execute(
          `update ${s}.tasks set error_code = ?, error_message = ?, updated_at = now() where id = ? and attempt = ?`,
          [error.code, error.message, taskId, attempt],
        );
      }),

    /** Whether `attempt` is still the task's latest attempt and the task is open (a redelivery may have started a newer one). */
    isCurrent: async (taskId: string, attempt: number): Promise<boolean> => {
      const rows = await deps.orm.em
        .fork()
        .execute(`select 1 from ${s}.tasks where id = ? and attempt = ? and status in ('processing', 'cancelling')`, [
          taskId,
          attempt,
        ]);
      return rows.length > 0;
    },

    /** Fails the task for good (after its last attempt, or a permanent error). No-op when already terminal. */
    fail: (job: RenderJobRequested, error: TaskError): Promise<void> =>
      inTx(async (em) => {
        await insertTask(em, job);
        const [task] = await em.execute<{ status: string; attempt: number; series: number; owner_id: string | null }[]>(
          `select status, attempt, series, owner_id from ${s}.tasks where id = ? for update`,
          [job.data.taskId],
        );
        if (!task || TERMINAL.includes(task.status)) return;
        if (task.status === 'cancelling') return closeCancelled(em, ref(job), task.series, 'cancelled');
        await em.execute(
          `update ${s}.tasks set status = 'failed', stage = 'failed', error_code = ?, error_message = ?, finished_at = now(), updated_at = now() where id = ?`,
          [error.code, error.message, job.data.taskId],
        );
        await statusEvent(em, ref(job), task.owner_id, 'failed', task.attempt, task.series, error, null);
      }),

    /** The worker stopped the task's ffmpeg and removed its files: the cancel is now confirmed. */
    confirmCancelled: (job: RenderJobRequested, reason: string): Promise<void> =>
      inTx(async (em) => {
        const [task] = await em.execute<{ status: string; series: number }[]>(
          `select status, series from ${s}.tasks where id = ? for update`,
          [job.data.taskId],
        );
        if (!task || TERMINAL.includes(task.status)) return;
        await closeCancelled(em, ref(job), task.series, reason);
      }),

    /**
     * Records a cancel for each task: a queued (or not yet arrived) task closes now; a running one
     * goes to `cancelling` and is returned, so the caller can tell its worker to kill ffmpeg.
     */
    requestCancel: (tasks: TaskRef[], reason: string): Promise<string[]> =>
      inTx(async (em) => {
        const running: string[] = [];
        // In id order, as a group-committed completion locks its rows: no deadlock between the two.
        for (const r of [...tasks].sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0))) {
          await em.execute(
            `insert into ${s}.task_cancellations (task_id, reason) values (?, ?) on conflict (task_id) do nothing`,
            [r.taskId, reason],
          );
          const [task] = await em.execute<{ status: string; series: number }[]>(
            `select status, series from ${s}.tasks where id = ? for update`,
            [r.taskId],
          );
          if (!task) {
            // Its job has not arrived yet: announce the cancel now; the job will close silently.
            await statusEvent(
              em,
              r,
              null,
              'cancelled',
              0,
              0,
              { code: 'CANCELLED', message: reason, retryable: false },
              null,
            );
          } else if (task.status === 'queued') {
            await closeCancelled(em, r, task.series, reason);
          } else if (task.status === 'processing' || task.status === 'cancelling') {
            await em.execute(`update ${s}.tasks set status = 'cancelling', updated_at = now() where id = ?`, [
              r.taskId,
            ]);
            running.push(r.taskId);
          }
        }
        return running;
      }),

    /** Puts a failed or cancelled task back in the queue as a new retry series, with a new render job. */
    retry: (taskId: string, ownerId: string): Promise<void> =>
      inTx(async (em) => {
        const [task] = await em.execute<
          {
            status: string;
            series: number;
            account_id: string;
            generation_id: string | null;
            source_id: string | null;
            source_url: string;
            content_type: string;
            options: RenderOptions;
            inputs: RenderJobRequested['data'] | null;
            owner_id: string | null;
          }[]
        >(`select * from ${s}.tasks where id = ? and owner_id = ? for update`, [taskId, ownerId]);
        if (!task) throw new DomainError('NOT_FOUND', `task ${taskId} not found`);
        if (task.status !== 'failed' && task.status !== 'cancelled')
          throw new DomainError(
            'CONFLICT',
            `only a failed or cancelled task can be retried; this one is ${task.status}`,
          );
        const series = task.series + 1;
        await em.execute(`delete from ${s}.task_cancellations where task_id = ?`, [taskId]);
        await em.execute(
          `update ${s}.tasks set status = 'queued', stage = 'queued', percent = 0, series = ?, error_code = null, error_message = null, finished_at = null, updated_at = now() where id = ?`,
          [series, taskId],
        );
        const r = { taskId, accountId: task.account_id, generationId: task.generation_id };
        // The job as first asked for (captions, logo, options…); a task from before `inputs` existed falls back to its columns.
        const inputs = task.inputs ?? {
          sourceId: task.source_id,
          sourceUrl: task.source_url,
          contentType: task.content_type,
          options: task.options,
        };
        const job: RenderJobRequested = makeEnvelope('render.job.requested.v1', deps.service, task.account_id, {
          ...inputs,
          taskId,
          generationId: task.generation_id,
          ownerId,
        });
        await enqueueOutbox(em, deps.schema, subjects.renderJob(task.account_id), job);
        await statusEvent(em, r, task.owner_id, 'queued', 0, series, null, null);
      }),

    /**
     * Mirrors the current stage into the row (group-committed with other tasks' stages,
     * stage-writes.ts); true when a cancel is pending for the task.
     */
    setStage: (taskId: string, attempt: number, stage: string, percent: number): Promise<boolean> =>
      stages.setStage({ taskId, attempt, stage, percent }),
  };
}

export type TaskStore = ReturnType<typeof createTaskStore>;
