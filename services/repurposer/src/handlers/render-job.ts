import { RenderJobRequested, validator } from '@reelforge/contracts';
import { PermanentError, RetryableError, errorCode, errorMessage, type HandlerContext, type Messaging } from '@reelforge/messaging';
import type { RenderTask } from '../pipeline/render-task.ts';
import { TaskErrorCodes } from '../pipeline/errors.ts';
import { createProgressReporter } from '../tasks/progress-reporter.ts';
import { TaskCancelled, type RunningTasks } from '../tasks/running-tasks.ts';
import type { TaskError, TaskStore } from '../tasks/task-store.ts';

export interface RenderJobDeps {
  m: Messaging;
  service: string;
  tasks: TaskStore;
  running: RunningTasks;
  render: RenderTask;
  taskTimeoutMs: number;
}

const toTaskError = (err: unknown): TaskError => ({ code: errorCode(err), message: errorMessage(err), retryable: !(err instanceof PermanentError) });

/**
 * Handles one render job delivery. The task row makes it idempotent: a job whose task is already
 * terminal is acked without running, and one cancelled meanwhile closes as cancelled. A cancel
 * while it runs kills ffmpeg, removes its files, and only then records `cancelled`. Any other
 * failure is recorded on its attempt and rethrown: the consumer loop retries with backoff or
 * dead-letters it (createRenderJobDeadLetterHandler then fails the task for good).
 */
export function createRenderJobHandler(deps: RenderJobDeps) {
  return async function handleRenderJob(job: RenderJobRequested, ctx: HandlerContext): Promise<void> {
    const { taskId, generationId } = job.data;
    const begun = await deps.tasks.beginAttempt(job);
    if (begun.kind !== 'run') {
      ctx.log.info({ taskId, outcome: begun.kind }, 'task not run: already finished or cancelled');
      return;
    }
    const timeout = AbortSignal.timeout(deps.taskTimeoutMs);
    const cancel = deps.running.start(taskId);
    const signal = AbortSignal.any([ctx.signal, timeout, cancel.signal]);
    const checkCancel = () =>
      void deps.tasks.cancelRequested(taskId).then(
        (yes) => yes && cancel.abort('cancelled'),
        () => undefined,
      );
    checkCancel(); // a kill broadcast sent before this run registered would have been missed
    const report = createProgressReporter({
      m: deps.m,
      service: deps.service,
      accountId: job.accountId,
      taskId,
      generationId,
      log: ctx.log,
      onStage: (stage, percent) => {
        void deps.tasks.setStage(taskId, stage, percent).catch(() => undefined);
        checkCancel();
      },
    });
    try {
      const clips = await deps.render(job, signal, report);
      await deps.tasks.complete(job, begun.attempt, begun.series, clips);
      report('completed', 100, 'done');
      ctx.log.info({ taskId, clips: clips.length }, 'task completed');
    } catch (err) {
      if (cancel.signal.aborted) {
        // renderTask has returned, so ffmpeg is dead and the temp files are gone: confirm.
        const reason = cancel.signal.reason instanceof TaskCancelled ? cancel.signal.reason.message : 'cancelled';
        await deps.tasks.confirmCancelled(job, reason);
        report('cancelled', 0, reason);
        ctx.log.info({ taskId }, 'task cancelled');
        return;
      }
      const error = timeout.aborted ? new RetryableError(TaskErrorCodes.TIMED_OUT, `the task ran longer than ${deps.taskTimeoutMs} ms`, { cause: err }) : err;
      await deps.tasks.recordAttemptError(taskId, begun.attempt, toTaskError(error)).catch(() => undefined);
      throw error;
    } finally {
      cancel.done();
    }
  };
}

const isJob = validator(RenderJobRequested);

/** After the last attempt (or a permanent error) the task fails for good and its generation counts it. */
export function createRenderJobDeadLetterHandler(deps: { tasks: TaskStore }) {
  return async (event: unknown, _reason: string, error: { code: string; message: string }): Promise<void> => {
    if (!isJob.check(event)) return; // Not even a job: the DLQ record is all there is to keep.
    await deps.tasks.fail(event, { ...error, retryable: false });
  };
}
