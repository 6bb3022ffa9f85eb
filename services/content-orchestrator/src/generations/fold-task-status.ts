import type { TaskStatusChanged } from '@reelforge/contracts';
import { claimInbox, type EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { isOpen, settleGeneration } from './settle-generation.ts';

export { generationStatusOf } from './settle-generation.ts';

const RANK: Record<string, number> = { queued: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 };

export interface FoldDeps {
  schema: string;
  service: string;
  consumer: string;
  afterCommit: () => void;
}

/** Whether an event moves a task forward: a newer retry series always does; within a series only a higher rank does. */
export function isNewer(
  current: { status: string; series: number },
  incoming: { status: string; series: number },
): boolean {
  if (incoming.series !== current.series) return incoming.series > current.series;
  return (RANK[incoming.status] ?? 0) > (RANK[current.status] ?? 0);
}

/**
 * Folds one task status event into its generation, idempotently: the inbox drops a redelivered
 * event, a task's state only moves forward (an older event arriving late changes nothing), and
 * the counters are recomputed from the tasks' states under the generation's row lock, so they can
 * neither double-count nor exceed total_requested. A finished generation only reopens for a newer
 * retry series of one of its tasks.
 */
export async function foldTaskStatus(
  em: EntityManager,
  event: TaskStatusChanged,
  deps: FoldDeps,
  log: Logger,
): Promise<void> {
  const s = `"${deps.schema}"`;
  const { taskId, status } = event.data;
  const series = event.data.series ?? 0;
  const changed = await em.transactional(async (tx) => {
    if (!(await claimInbox(tx, deps.schema, deps.consumer, event.id))) return false;
    const [task] = await tx.execute<{ generation_id: string }[]>(
      `select generation_id from ${s}.generation_tasks where task_id = ?`,
      [taskId],
    );
    if (!task) {
      log.debug({ taskId }, 'status for a task outside any generation; ignored');
      return false;
    }
    const [gen] = await tx.execute<{ status: string }[]>(
      `select status from ${s}.generations where id = ? for update`,
      [task.generation_id],
    );
    const [current] = await tx.execute<{ status: string; series: number }[]>(
      `select status, series from ${s}.generation_tasks where task_id = ?`,
      [taskId],
    );
    if (!gen || !current || !isNewer(current, { status, series })) return false;
    if (!isOpen(gen.status) && series <= current.series) return false;
    await tx.execute(
      `update ${s}.generation_tasks set status = ?, series = ?, error_code = ?, updated_at = now() where task_id = ?`,
      [status, series, event.data.error?.code ?? null, taskId],
    );
    const settled = await settleGeneration(tx, deps.schema, deps.service, task.generation_id);
    if (!isOpen(settled.status))
      log.info(
        { generationId: task.generation_id, status: settled.status, counts: settled.counts },
        'generation finished',
      );
    return true;
  });
  if (changed) deps.afterCommit();
}
