import type { CancelRequested } from '@reelforge/contracts';
import type { HandlerContext } from '@reelforge/messaging';
import type { RunningTasks } from '../tasks/running-tasks.ts';
import type { TaskStore } from '../tasks/task-store.ts';

/**
 * A generation's cancel: queued tasks close at once; running ones go to `cancelling` and their
 * worker is told to kill ffmpeg (it confirms `cancelled` once the process is gone and its files
 * removed). Idempotent: a redelivered request changes nothing that is already cancelled.
 */
export function createCancelRequestHandler(deps: { tasks: TaskStore; running: RunningTasks }) {
  return async (event: CancelRequested, ctx: HandlerContext): Promise<void> => {
    const refs = event.data.taskIds.map((taskId) => ({ taskId, accountId: event.accountId, generationId: event.data.generationId }));
    const running = await deps.tasks.requestCancel(refs, event.data.reason);
    deps.running.kill(running, event.data.reason);
    ctx.log.info({ generationId: event.data.generationId, tasks: refs.length, running: running.length }, 'cancel requested');
  };
}
