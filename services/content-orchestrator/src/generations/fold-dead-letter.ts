import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { realStatesOf, recountGeneration, type TaskStatesLookup } from './recount-generation.ts';

export interface FoldDeadLetterDeps {
  fork: () => EntityManager;
  schema: string;
  service: string;
  taskStates: TaskStatesLookup;
  afterCommit: () => void;
  log: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The task a dead-lettered status names, read loosely: the letter may be there because it did not fit the schema. */
function taskIdOf(event: unknown): string | undefined {
  const data = typeof event === 'object' && event !== null ? (event as { data?: unknown }).data : undefined;
  const taskId = typeof data === 'object' && data !== null ? (data as { taskId?: unknown }).taskId : undefined;
  return typeof taskId === 'string' && UUID.test(taskId) ? taskId : undefined;
}

/**
 * The fold's compensation for a task status it could not fold (dead-lettered): the generation of
 * that task is recounted from the repurposer's real task states, exactly as the cleanup job does,
 * so it does not wait hours for the job, nor stay open forever. Acting on an invalid letter is safe:
 * nothing of the letter is trusted but the task id, and the recount reads the truth. A failure here
 * (the database is still down) is thrown: the consumer leaves the message unsettled, so it comes
 * back after ack_wait and this runs again. The letter stays in the DLQ for inspection and redrive.
 */
export function createFoldDeadLetterHandler(deps: FoldDeadLetterDeps) {
  const s = `"${deps.schema}"`;
  return async (event: unknown, reason: string, error: { code: string; message: string }): Promise<void> => {
    const taskId = taskIdOf(event);
    const [task] = taskId
      ? await deps
          .fork()
          .execute<{ generation_id: string }[]>(`select generation_id from ${s}.generation_tasks where task_id = ?`, [
            taskId,
          ])
      : [];
    if (!task) {
      deps.log.warn(
        { taskId, reason, error },
        'dead-lettered task status names no task of a generation; nothing to repair',
      );
      return;
    }
    const generationId = task.generation_id;
    const real = await realStatesOf(deps.fork(), deps.schema, deps.taskStates, generationId);
    const recount = await deps.fork().transactional((tx) => recountGeneration(tx, deps, generationId, real));
    deps.afterCommit();
    deps.log.warn(
      {
        taskId,
        generationId,
        reason,
        error,
        realStates: real !== undefined,
        before: recount?.before,
        after: recount && { status: recount.status, ...recount.counters },
      },
      'dead-lettered task status: generation recounted',
    );
  };
}
