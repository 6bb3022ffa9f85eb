import { RenderJobRequested, validator } from '@reelforge/contracts';
import { PermanentError, RetryableError, errorCode, errorMessage, type HandlerContext, type Messaging } from '@reelforge/messaging';
import { renderTask, type PipelineDeps } from '../pipeline/render-task.ts';
import { TaskErrorCodes } from '../pipeline/errors.ts';
import { createProgressReporter } from '../tasks/progress-reporter.ts';
import type { TaskError, TaskStore } from '../tasks/task-store.ts';

export interface RenderJobDeps {
  m: Messaging;
  service: string;
  tasks: TaskStore;
  pipeline: PipelineDeps;
  taskTimeoutMs: number;
}

const toTaskError = (err: unknown): TaskError => ({ code: errorCode(err), message: errorMessage(err), retryable: !(err instanceof PermanentError) });

/**
 * Handles one render job delivery. The task row makes it idempotent: a job whose task is already
 * terminal is acked without running. A failure is recorded on its attempt and rethrown, so the
 * consumer loop retries with backoff or dead-letters it (see onRenderJobDeadLettered).
 */
export function createRenderJobHandler(deps: RenderJobDeps) {
  return async function handleRenderJob(job: RenderJobRequested, ctx: HandlerContext): Promise<void> {
    const attempt = ctx.deliveryCount;
    const { taskId, generationId } = job.data;
    if ((await deps.tasks.beginAttempt(job, attempt)) === 'done') {
      ctx.log.info({ taskId }, 'task already finished; redelivery acked without running');
      return;
    }
    const timeout = AbortSignal.timeout(deps.taskTimeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const report = createProgressReporter({
      m: deps.m,
      service: deps.service,
      accountId: job.accountId,
      taskId,
      generationId,
      log: ctx.log,
      onStage: (stage, percent) => void deps.tasks.setStage(taskId, stage, percent).catch(() => undefined),
    });
    try {
      const clips = await renderTask(job, deps.pipeline, signal, report);
      await deps.tasks.complete(job, attempt, clips);
      report('completed', 100, 'done');
      ctx.log.info({ taskId, clips: clips.length }, 'task completed');
    } catch (err) {
      const error = timeout.aborted ? new RetryableError(TaskErrorCodes.TIMED_OUT, `the task ran longer than ${deps.taskTimeoutMs} ms`, { cause: err }) : err;
      await deps.tasks.recordAttemptError(taskId, attempt, toTaskError(error)).catch(() => undefined);
      throw error;
    }
  };
}

const isJob = validator(RenderJobRequested);

/** After the last attempt (or a permanent error) the task fails for good and its generation counts it. */
export function createRenderJobDeadLetterHandler(deps: { tasks: TaskStore }) {
  return async (event: unknown, _reason: string, error: { code: string; message: string }, deliveries: number): Promise<void> => {
    if (!isJob.check(event)) return; // Not even a job: the DLQ record is all there is to keep.
    await deps.tasks.fail(event, deliveries, { ...error, retryable: false });
  };
}
