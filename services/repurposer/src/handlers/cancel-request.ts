import { CancelRequested, validator } from '@reelforge/contracts';
import type { HandlerContext } from '@reelforge/messaging';
import type { Logger } from 'pino';
import type { RunningTasks } from '../tasks/running-tasks.ts';
import type { TaskStore } from '../tasks/task-store.ts';

/**
 * A generation's cancel: queued tasks close at once; running ones go to `cancelling` and their
 * worker is told to kill ffmpeg (it confirms `cancelled` once the process is gone and its files
 * removed). Idempotent: a redelivered request changes nothing that is already cancelled.
 */
export function createCancelRequestHandler(deps: { tasks: TaskStore; running: RunningTasks }) {
  return async (event: CancelRequested, ctx: HandlerContext): Promise<void> => {
    const refs = event.data.taskIds.map((taskId) => ({
      taskId,
      accountId: event.accountId,
      generationId: event.data.generationId,
    }));
    const running = await deps.tasks.requestCancel(refs, event.data.reason);
    deps.running.kill(running, event.data.reason);
    ctx.log.info(
      { generationId: event.data.generationId, tasks: refs.length, running: running.length },
      'cancel requested',
    );
  };
}

const isCancel = validator(CancelRequested);

/**
 * A cancel request that could not be handled (dead-lettered) is re-issued, not forgotten: each of
 * its tasks is recorded as cancelled on its own (task_cancellations, so a job that has not run yet
 * closes when it does; queued ones close now), and the kill is broadcast for all of them, so a
 * running render stops and confirms `cancelled` itself. A task whose record still fails (the
 * database is down) makes this throw: the consumer leaves the message unsettled and it comes back
 * after ack_wait, when this runs again. A letter that is not a cancel request names nothing to act on.
 */
export function createCancelRequestDeadLetterHandler(deps: { tasks: TaskStore; running: RunningTasks; log: Logger }) {
  return async (event: unknown, reason: string, error: { code: string; message: string }): Promise<void> => {
    if (!isCancel.check(event)) return;
    const { generationId, taskIds } = event.data;
    deps.running.kill(taskIds, event.data.reason);
    const failed: string[] = [];
    for (const taskId of taskIds) {
      await deps.tasks
        .requestCancel([{ taskId, accountId: event.accountId, generationId }], event.data.reason)
        .catch(() => failed.push(taskId));
    }
    deps.log.warn(
      { generationId, tasks: taskIds.length, failed: failed.length, reason, error },
      'dead-lettered cancel request re-issued',
    );
    if (failed.length) throw new Error(`could not record the cancel of ${failed.length} task(s); will try again`);
  };
}
