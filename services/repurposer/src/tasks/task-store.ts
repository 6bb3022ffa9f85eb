import { makeEnvelope, subjects, uuidv7, type RenderJobRequested, type TaskStatus } from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager, type MikroORM } from '@reelforge/persistence';

export interface StoredClip {
  clipIndex: number;
  mediaKey: string;
  durationSeconds: number;
  sizeBytes: number;
  width: number;
  height: number;
  checksumSha256: string;
}

export interface TaskError {
  code: string;
  message: string;
  retryable: boolean;
}

const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * The repurposer's task table, written in transactions that also put the task's status event in
 * the outbox: a status is recorded if and only if its event will be published.
 */
export function createTaskStore(deps: { orm: MikroORM; schema: string; service: string; afterCommit: () => void }) {
  const s = `"${deps.schema}"`;

  async function statusEvent(em: EntityManager, job: RenderJobRequested, status: TaskStatus, attempt: number, error: TaskError | null, contentIds: string[] | null) {
    const event = makeEnvelope('task.status.v1', deps.service, job.accountId, {
      taskId: job.data.taskId,
      generationId: job.data.generationId,
      status,
      attempt,
      error,
      output: contentIds ? { contentIds } : null,
    });
    await enqueueOutbox(em, deps.schema, subjects.taskStatus(job.accountId), event);
  }

  async function inTx<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const result = await deps.orm.em.fork().transactional(fn);
    deps.afterCommit();
    return result;
  }

  return {
    /**
     * Creates the task on its first delivery and opens attempt `attempt`. Returns 'done' when the
     * task is already terminal (a redelivery after the result was committed): nothing runs twice.
     */
    beginAttempt: (job: RenderJobRequested, attempt: number): Promise<'run' | 'done'> =>
      inTx(async (em) => {
        const d = job.data;
        await em.execute(
          `insert into ${s}.tasks (id, account_id, generation_id, source_id, source_url, content_type, options, status) values (?, ?, ?, ?, ?, ?, ?::jsonb, 'queued') on conflict (id) do nothing`,
          [d.taskId, job.accountId, d.generationId, d.sourceId, d.sourceUrl, d.contentType, JSON.stringify(d.options)],
        );
        const [task] = await em.execute<{ status: string }[]>(`select status from ${s}.tasks where id = ? for update`, [d.taskId]);
        if (!task || TERMINAL.includes(task.status)) return 'done';
        await em.execute(
          `update ${s}.tasks set status = 'processing', stage = 'downloading', percent = 0, attempt = ?, started_at = coalesce(started_at, now()), updated_at = now() where id = ?`,
          [attempt, d.taskId],
        );
        await em.execute(`insert into ${s}.task_attempts (task_id, attempt) values (?, ?) on conflict do nothing`, [d.taskId, attempt]);
        await statusEvent(em, job, 'processing', attempt, null, null);
        return 'run';
      }),

    /** Stores the clips (at most once per task and clip index) and completes the task. */
    complete: (job: RenderJobRequested, attempt: number, clips: StoredClip[]): Promise<string[]> =>
      inTx(async (em) => {
        const ids: string[] = [];
        for (const c of clips) {
          await em.execute(
            `insert into ${s}.generated_content (id, task_id, account_id, clip_index, media_key, duration_seconds, size_bytes, width, height, checksum_sha256)
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (task_id, clip_index) do nothing`,
            [uuidv7(), job.data.taskId, job.accountId, c.clipIndex, c.mediaKey, c.durationSeconds, c.sizeBytes, c.width, c.height, c.checksumSha256],
          );
          const [row] = await em.execute<{ id: string }[]>(`select id from ${s}.generated_content where task_id = ? and clip_index = ?`, [job.data.taskId, c.clipIndex]);
          if (row) ids.push(row.id);
        }
        await em.execute(`update ${s}.tasks set status = 'completed', stage = 'completed', percent = 100, error_code = null, error_message = null, finished_at = now(), updated_at = now() where id = ?`, [job.data.taskId]);
        await em.execute(`update ${s}.task_attempts set finished_at = now() where task_id = ? and attempt = ?`, [job.data.taskId, attempt]);
        await statusEvent(em, job, 'completed', attempt, null, ids);
        return ids;
      }),

    /** Records why an attempt failed; the task stays open for the next attempt. */
    recordAttemptError: (taskId: string, attempt: number, error: TaskError): Promise<void> =>
      inTx(async (em) => {
        await em.execute(`update ${s}.task_attempts set finished_at = now(), error_code = ?, error_message = ? where task_id = ? and attempt = ?`, [error.code, error.message, taskId, attempt]);
        await em.execute(`update ${s}.tasks set error_code = ?, error_message = ?, updated_at = now() where id = ?`, [error.code, error.message, taskId]);
      }),

    /** Fails the task for good (after its last attempt, or a permanent error). No-op when already terminal. */
    fail: (job: RenderJobRequested, attempt: number, error: TaskError): Promise<void> =>
      inTx(async (em) => {
        await em.execute(
          `insert into ${s}.tasks (id, account_id, generation_id, source_id, source_url, content_type, options, status) values (?, ?, ?, ?, ?, ?, ?::jsonb, 'queued') on conflict (id) do nothing`,
          [job.data.taskId, job.accountId, job.data.generationId, job.data.sourceId, job.data.sourceUrl, job.data.contentType, JSON.stringify(job.data.options)],
        );
        const [task] = await em.execute<{ status: string }[]>(`select status from ${s}.tasks where id = ? for update`, [job.data.taskId]);
        if (!task || TERMINAL.includes(task.status)) return;
        await em.execute(`update ${s}.tasks set status = 'failed', stage = 'failed', error_code = ?, error_message = ?, finished_at = now(), updated_at = now() where id = ?`, [error.code, error.message, job.data.taskId]);
        await statusEvent(em, job, 'failed', attempt, error, null);
      }),

    /** Mirrors the current stage into the row, so a snapshot (GET /tasks/:id) shows it. */
    setStage: async (taskId: string, stage: string, percent: number): Promise<void> => {
      await deps.orm.em.fork().execute(`update ${s}.tasks set stage = ?, percent = ?, updated_at = now() where id = ? and status = 'processing'`, [stage, percent, taskId]);
    },
  };
}

export type TaskStore = ReturnType<typeof createTaskStore>;
