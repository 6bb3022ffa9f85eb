import { RenderJobRequested, lenientValidator } from '@reelforge/contracts';
import {
  PermanentError,
  RetryableError,
  backoffDelayMs,
  errorCode,
  errorMessage,
  type HandlerContext,
  type Messaging,
  type RetryPolicy,
} from '@reelforge/messaging';
import type { RenderTask } from '../pipeline/render-task.ts';
import { TaskErrorCodes } from '../pipeline/errors.ts';
import { createProgressReporter } from '../tasks/progress-reporter.ts';
import { TaskCancelled, type RunningTasks } from '../tasks/running-tasks.ts';
import type { StoredClip, TaskError, TaskStore } from '../tasks/task-store.ts';
import { salvageJob } from './salvage-job.ts';

export interface RenderJobDeps {
  m: Messaging;
  service: string;
  tasks: TaskStore;
  running: RunningTasks;
  render: RenderTask;
  taskTimeoutMs: number;
  /** Attempts a retry series may use (TASK_MAX_RETRIES + 1); attempts interrupted by a shutdown do not count. */
  maxAttempts: number;
  /** Backoff between attempts, by the number of counted attempts so far. */
  retry: RetryPolicy;
  /** How long a superseded attempt's delivery waits before it may come back (the consumer's ack_wait). */
  ackWaitMs: number;
  /** Removes the stored files of clips an attempt may not keep (a newer attempt superseded it). */
  discardClips: (clips: StoredClip[]) => Promise<void>;
}

/** The retry budget of the task's series is spent: dead-letter now (the task then fails with the last error). */
class RetriesExhausted extends PermanentError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'RetriesExhausted';
  }
}

/**
 * A newer attempt of the task owns it now (its job was redelivered while this one still ran). Not
 * acked: an ack would drop the job while the newer attempt runs, and a crash of that one would then
 * lose the task. Naked with a delay of ack_wait instead, which the newer attempt's in-progress acks
 * keep pushing back; should it die, the job comes back then.
 */
export class AttemptSuperseded extends RetryableError {
  constructor(taskId: string, attempt: number, retryAfterMs: number) {
    super(TaskErrorCodes.SUPERSEDED, `attempt ${attempt} of task ${taskId} was superseded by a newer attempt`, {
      retryAfterMs,
    });
    this.name = 'AttemptSuperseded';
  }
}

const TERMINAL_STAGES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

const toTaskError = (err: unknown): TaskError => ({
  code: errorCode(err),
  message: errorMessage(err),
  retryable: !(err instanceof PermanentError),
});

/**
 * Handles one render job delivery. The task row makes it idempotent: a job whose task is already
 * terminal is acked without running, and one cancelled meanwhile closes as cancelled. A cancel
 * while it runs kills ffmpeg, removes its files, and only then records `cancelled`. Only the
 * task's latest attempt may complete it or decide its retry (attempts are fenced by number). A
 * shutdown records the attempt `INTERRUPTED`, which does not count against the retry budget. Any
 * other failure is recorded on its attempt and rethrown: retried with backoff while the series has
 * attempts left, else dead-lettered (createRenderJobDeadLetterHandler then fails the task for good).
 */
export function createRenderJobHandler(deps: RenderJobDeps) {
  return async function handleRenderJob(job: RenderJobRequested, ctx: HandlerContext): Promise<void> {
    // Registered before the attempt begins: a cancel's kill broadcast sent from now on reaches this
    // run, and a cancel committed before (whose broadcast this process missed) is seen by
    // beginAttempt, which reads the task after it. No separate "was it cancelled?" read is needed.
    const cancel = deps.running.start(job.data.taskId);
    try {
      await runJob(job, ctx, cancel);
    } finally {
      cancel.done();
    }
  };

  async function runJob(
    job: RenderJobRequested,
    ctx: HandlerContext,
    cancel: ReturnType<RenderJobDeps['running']['start']>,
  ): Promise<void> {
    const { taskId, generationId } = job.data;
    const begun = await deps.tasks.beginAttempt(job, deps.maxAttempts);
    if (begun.kind === 'exhausted') {
      throw new RetriesExhausted(
        TaskErrorCodes.MAX_DELIVERIES,
        `${begun.used} attempt(s) started without finishing (the worker crashed or was killed each time)`,
      );
    }
    if (begun.kind !== 'run') {
      ctx.log.info({ taskId, outcome: begun.kind }, 'task not run: already finished or cancelled');
      return;
    }
    const timeout = AbortSignal.timeout(deps.taskTimeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout, cancel.signal]);
    const report = createProgressReporter({
      m: deps.m,
      service: deps.service,
      accountId: job.accountId,
      taskId,
      generationId,
      attempt: begun.attempt,
      log: ctx.log,
      onStage: (stage, percent) => {
        // A terminal stage is written by the transaction that ends the task.
        if (TERMINAL_STAGES.has(stage)) return;
        // The stage write tells whether a cancel is pending: the check costs nothing extra.
        void deps.tasks.setStage(taskId, begun.attempt, stage, percent).then(
          (cancelPending) => cancelPending && cancel.abort('cancelled'),
          () => undefined,
        );
      },
    });
    try {
      const clips = await deps.render(job, signal, report, begun.attempt);
      const ids = await deps.tasks.complete(job, begun.attempt, begun.series, clips);
      if (ids === null) {
        await deps
          .discardClips(clips)
          .catch((err: unknown) =>
            ctx.log.warn({ taskId, err: errorMessage(err) }, "could not remove a superseded attempt's clips"),
          );
        ctx.log.warn({ taskId, attempt: begun.attempt }, 'attempt superseded: its result is dropped');
        throw new AttemptSuperseded(taskId, begun.attempt, deps.ackWaitMs);
      }
      report('completed', 100, 'done');
      ctx.log.info({ taskId, clips: clips.length }, 'task completed');
    } catch (err) {
      if (err instanceof AttemptSuperseded) throw err;
      if (cancel.signal.aborted) {
        // renderTask has returned, so ffmpeg is dead and the temp files are gone: confirm.
        const reason = cancel.signal.reason instanceof TaskCancelled ? cancel.signal.reason.message : 'cancelled';
        await deps.tasks.confirmCancelled(job, reason);
        report('cancelled', 0, reason);
        ctx.log.info({ taskId }, 'task cancelled');
        return;
      }
      if (ctx.signal.aborted) {
        // The worker is shutting down: the consumer hands the job straight back; not a failed try.
        await deps.tasks
          .recordAttemptError(taskId, begun.attempt, {
            code: TaskErrorCodes.INTERRUPTED,
            message: 'the worker shut down during the attempt',
            retryable: true,
          })
          .catch(() => undefined);
        throw new RetryableError(TaskErrorCodes.INTERRUPTED, 'the worker shut down during the attempt', {
          cause: err,
          retryAfterMs: 0,
        });
      }
      const error = timeout.aborted
        ? new RetryableError(TaskErrorCodes.TIMED_OUT, `the task ran longer than ${deps.taskTimeoutMs} ms`, {
            cause: err,
          })
        : err;
      await deps.tasks.recordAttemptError(taskId, begun.attempt, toTaskError(error)).catch(() => undefined);
      if (!(await deps.tasks.isCurrent(taskId, begun.attempt)))
        throw new AttemptSuperseded(taskId, begun.attempt, deps.ackWaitMs);
      throw nextStep(error, begun.used, deps);
    }
  }
}

/** What the consumer does after a failed attempt: a permanent error or a spent budget dead-letters, else retry with backoff. */
function nextStep(error: unknown, used: number, deps: Pick<RenderJobDeps, 'maxAttempts' | 'retry'>): Error {
  if (error instanceof PermanentError) return error;
  if (used >= deps.maxAttempts) return new RetriesExhausted(errorCode(error), errorMessage(error), { cause: error });
  const retryAfterMs =
    error instanceof RetryableError && error.retryAfterMs !== undefined
      ? error.retryAfterMs
      : backoffDelayMs(deps.retry, used);
  return new RetryableError(errorCode(error), errorMessage(error), { cause: error, retryAfterMs });
}

const isJob = lenientValidator(RenderJobRequested);

/**
 * After the last attempt (or a permanent error) the task fails for good and its generation counts
 * it. A job dead-lettered for being invalid fails its task too when it names one (read leniently),
 * so the task and its generation are closed rather than left open forever.
 */
export function createRenderJobDeadLetterHandler(deps: { tasks: TaskStore }) {
  return async (event: unknown, _reason: string, error: { code: string; message: string }): Promise<void> => {
    if (error.code === TaskErrorCodes.SUPERSEDED) return; // a newer attempt owns the task and decides how it ends
    const job = isJob.parse(event) ?? salvageJob(event);
    if (!job) return; // No task id to close: the DLQ record is all there is to keep.
    await deps.tasks.fail(job, { ...error, retryable: false });
  };
}
