import type { CleanupSummary, GenerationCounters } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { settleGeneration } from '../generations/settle-generation.ts';
import { isNewer } from '../generations/fold-task-status.ts';

export interface CleanupDeps {
  fork: () => EntityManager;
  schema: string;
  service: string;
  stuckAfterMs: number;
  /** The tasks' real states from their owner (the repurposer); undefined when it cannot be asked. */
  taskStates: (taskIds: string[]) => Promise<{ taskId: string; status: string; errorCode: string | null }[] | undefined>;
  afterCommit: () => void;
  log: Logger;
}

/**
 * `cleanup_stuck_generation`: for generations open longer than STUCK_GENERATION_AFTER, pull the
 * tasks' real states from the repurposer and recompute; this repairs (1) all tasks terminal but the
 * generation not closed, (2) no active task but totals short (tasks that were never created are
 * dropped from the total), (3) counters whose sum exceeds total_requested. Then removes expired
 * locks. Each fix is logged with ids and counters; the summary is returned.
 */
export async function cleanupStuckGenerations(deps: CleanupDeps): Promise<CleanupSummary> {
  const s = `"${deps.schema}"`;
  const stuck = await deps.fork().execute<{ id: string }[]>(
    `select id from ${s}.generations where status in ('queuing', 'processing') and updated_at < now() - (? * interval '1 millisecond') order by id limit 1000`,
    [deps.stuckAfterMs],
  );
  const fixed: CleanupSummary['fixed'] = [];
  for (const { id } of stuck) {
    const tasks = await deps.fork().execute<{ task_id: string }[]>(`select task_id from ${s}.generation_tasks where generation_id = ?`, [id]);
    const real = tasks.length ? await deps.taskStates(tasks.map((t) => t.task_id)).catch(() => undefined) : [];
    const fix = await deps.fork().transactional(async (tx) => {
      const [gen] = await tx.execute<{ status: string; total_requested: number; queued: number; processing: number; completed: number; failed: number; cancelled: number }[]>(
        `select * from ${s}.generations where id = ? and status in ('queuing', 'processing') for update`,
        [id],
      );
      if (!gen) return undefined;
      for (const r of real ?? []) {
        const [cur] = await tx.execute<{ status: string; series: number }[]>(`select status, series from ${s}.generation_tasks where task_id = ?`, [r.taskId]);
        const status = r.status === 'cancelling' ? 'processing' : r.status;
        if (cur && isNewer(cur, { status, series: cur.series })) {
          await tx.execute(`update ${s}.generation_tasks set status = ?, error_code = ?, updated_at = now() where task_id = ?`, [status, r.errorCode, r.taskId]);
        }
      }
      const rows = await tx.execute<{ status: string; n: string }[]>(`select status, count(*) as n from ${s}.generation_tasks where generation_id = ? group by status`, [id]);
      const counts: Record<string, number> = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const taskCount = Object.values(counts).reduce((a, b) => a + b, 0);
      const active = (counts.queued ?? 0) + (counts.processing ?? 0);
      const terminal = taskCount - active;
      let kind: string;
      if (gen.completed + gen.failed + gen.cancelled > gen.total_requested) kind = 'counters_exceed_total';
      else if (active === 0 && terminal === gen.total_requested) kind = 'all_tasks_terminal';
      else if (active === 0) kind = 'no_active_tasks';
      else kind = 'recounted';
      if (active === 0 && taskCount !== gen.total_requested) {
        // Tasks that were never created cannot finish: the total shrinks to the tasks that exist.
        await tx.execute(`update ${s}.generations set total_requested = ? where id = ?`, [taskCount, id]);
      }
      if (taskCount === 0) {
        await tx.execute(`update ${s}.generations set status = 'failed', finished_at = now(), updated_at = now() where id = ?`, [id]);
        await tx.execute(`delete from ${s}.generation_locks where generation_id = ?`, [id]);
      }
      const status = taskCount === 0 ? 'failed' : (await settleGeneration(tx, deps.schema, deps.service, id)).status;
      const [after] = await tx.execute<{ total_requested: number; queued: number; processing: number; completed: number; failed: number; cancelled: number }[]>(`select * from ${s}.generations where id = ?`, [id]);
      const counters: GenerationCounters = {
        totalRequested: after!.total_requested,
        queued: after!.queued,
        processing: after!.processing,
        completed: after!.completed,
        failed: after!.failed,
        cancelled: after!.cancelled,
      };
      const before = { status: gen.status, totalRequested: gen.total_requested, queued: gen.queued, processing: gen.processing, completed: gen.completed, failed: gen.failed, cancelled: gen.cancelled };
      const changed = before.status !== status || (Object.keys(counters) as (keyof GenerationCounters)[]).some((k) => before[k] !== counters[k]);
      return changed ? { generationId: id, case: kind, status, counters, before } : undefined;
    });
    if (fix) {
      deps.log.warn({ generationId: fix.generationId, case: fix.case, before: fix.before, after: { status: fix.status, ...fix.counters }, realStates: real !== undefined }, 'stuck generation repaired');
      fixed.push({ generationId: fix.generationId, case: fix.case, status: fix.status, counters: fix.counters });
    }
  }
  const locks = await deps.fork().execute<{ generation_id: string; account_id: string; content_type: string }[]>(`delete from ${s}.generation_locks where expires_at < now() returning generation_id, account_id, content_type`);
  for (const l of locks) deps.log.warn({ generationId: l.generation_id, accountId: l.account_id, contentType: l.content_type }, 'expired generation lock removed');
  if (fixed.length || locks.length) deps.afterCommit();
  return { examined: stuck.length, fixed, locksRemoved: locks.length };
}
