import { makeEnvelope, subjects, type GenerationStatus, type TaskStatusChanged } from '@reelforge/contracts';
import { claimInbox, enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { loadGenerationView } from './generation-view.ts';

const RANK: Record<string, number> = { queued: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 };
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** A generation's status from its tasks' states. */
export function generationStatusOf(counts: Record<string, number>, total: number): GenerationStatus {
  const completed = counts.completed ?? 0;
  const failed = counts.failed ?? 0;
  const cancelled = counts.cancelled ?? 0;
  if (completed + failed + cancelled < total) return (counts.processing ?? 0) + completed + failed + cancelled > 0 ? 'processing' : 'queuing';
  if (completed === total) return 'completed';
  if (cancelled === total) return 'cancelled';
  if (completed > 0) return 'partially_failed';
  return failed > 0 ? 'failed' : 'cancelled';
}

export interface FoldDeps {
  schema: string;
  service: string;
  consumer: string;
  afterCommit: () => void;
}

/**
 * Folds one task status event into its generation, idempotently: the inbox drops a redelivered
 * event, a task's state only moves forward (an older event arriving late changes nothing), and the
 * counters are recomputed from the tasks' states under the generation's row lock, so they can
 * neither double-count nor exceed total_requested. When every task is terminal, the generation
 * closes, its lock is released and its sources settle, in the same transaction.
 */
export async function foldTaskStatus(em: EntityManager, event: TaskStatusChanged, deps: FoldDeps, log: Logger): Promise<void> {
  const s = `"${deps.schema}"`;
  const { taskId, status } = event.data;
  const changed = await em.transactional(async (tx) => {
    if (!(await claimInbox(tx, deps.schema, deps.consumer, event.id))) return false;
    const [task] = await tx.execute<{ generation_id: string; status: string }[]>(`select generation_id, status from ${s}.generation_tasks where task_id = ?`, [taskId]);
    if (!task) {
      log.debug({ taskId }, 'status for a task outside any generation; ignored');
      return false;
    }
    const [gen] = await tx.execute<{ status: string; total_requested: number }[]>(`select status, total_requested from ${s}.generations where id = ? for update`, [task.generation_id]);
    if (!gen || TERMINAL.has(gen.status) || gen.status === 'partially_failed') return false;
    const [current] = await tx.execute<{ status: string }[]>(`select status from ${s}.generation_tasks where task_id = ?`, [taskId]);
    if (!current || (RANK[status] ?? 0) <= (RANK[current.status] ?? 0)) return false;
    await tx.execute(`update ${s}.generation_tasks set status = ?, error_code = ?, updated_at = now() where task_id = ?`, [status, event.data.error?.code ?? null, taskId]);

    const rows = await tx.execute<{ status: string; n: string }[]>(`select status, count(*) as n from ${s}.generation_tasks where generation_id = ? group by status`, [task.generation_id]);
    const counts: Record<string, number> = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    const next = generationStatusOf(counts, gen.total_requested);
    const finished = next !== 'queuing' && next !== 'processing';
    await tx.execute(
      `update ${s}.generations set status = ?, queued = ?, processing = ?, completed = ?, failed = ?, cancelled = ?, updated_at = now(), finished_at = ${finished ? 'now()' : 'null'} where id = ?`,
      [next, counts.queued ?? 0, counts.processing ?? 0, counts.completed ?? 0, counts.failed ?? 0, counts.cancelled ?? 0, task.generation_id],
    );
    if (finished) {
      await tx.execute(`delete from ${s}.generation_locks where generation_id = ?`, [task.generation_id]);
      // Used sources are spent; sources of failed or cancelled tasks go back to the pool, except
      // after a permanent input failure (a corrupt source would only fail again).
      await tx.execute(
        `update ${s}.source_videos v set updated_at = now(), generation_id = null,
           state = case when t.status = 'completed' then 'used' when t.error_code in ('INVALID_INPUT', 'SOURCE_UNREADABLE') then 'failed' else 'available' end
         from ${s}.generation_tasks t where t.source_id = v.id and t.generation_id = ?`,
        [task.generation_id],
      );
    }
    const view = await loadGenerationView(tx, deps.schema, task.generation_id);
    if (view) await enqueueOutbox(tx, deps.schema, subjects.generation(view.accountId), makeEnvelope('content.generation.updated.v1', deps.service, view.accountId, view));
    if (finished) log.info({ generationId: task.generation_id, status: next, counts }, 'generation finished');
    return true;
  });
  if (changed) deps.afterCommit();
}
