import type { TaskStatusChanged } from '@reelforge/contracts';
import { executePrepared, type EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import {
  LOCKED_GENERATION_COLUMNS,
  isOpen,
  settleGeneration,
  type LockedGeneration,
  type TaskCounts,
} from './settle-generation.ts';

export { generationStatusOf } from './settle-generation.ts';

const RANK: Record<string, number> = { queued: 0, processing: 1, completed: 2, failed: 2, cancelled: 2 };
/** RANK of a stored status column, for the fold's one-statement update. */
export const rankSql = (column: string) =>
  `(case ${column} when 'processing' then 1 when 'completed' then 2 when 'failed' then 2 when 'cancelled' then 2 else 0 end)`;

/** An event's rank (RANK), for the SQL comparisons. */
export const rankOf = (status: string): number => RANK[status] ?? 0;

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

/** Logs a generation a fold closed. */
export function logIfFinished(
  log: Logger,
  generationId: string,
  settled: { status: string; counts: Record<string, number> },
): void {
  if (!isOpen(settled.status))
    log.info({ generationId, status: settled.status, counts: settled.counts }, 'generation finished');
}

/** Settles a generation whose tasks a fold just moved and counted (none moved: nothing to do); logs a close. */
async function settleFolded(
  tx: EntityManager,
  deps: FoldDeps,
  gen: LockedGeneration,
  counted: TaskCounts,
  log: Logger,
): Promise<boolean> {
  if (counted.length === 0) return false;
  logIfFinished(log, gen.id, await settleGeneration(tx, deps.schema, deps.service, gen.id, gen, counted));
  return true;
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
    // The inbox claim, and the task's generation locked (`of g`: the task's generation never
    // changes, the owner neither), in one round trip; no row: a redelivered event, or a task
    // outside any generation.
    const [gen] = await executePrepared<LockedGeneration>(
      tx,
      `with claimed as (insert into ${s}.inbox (consumer, event_id) values (?, ?) on conflict do nothing returning 1)
       select ${LOCKED_GENERATION_COLUMNS} from ${s}.generation_tasks t
         join ${s}.generations g on g.id = t.generation_id left join ${s}.accounts a on a.id = g.account_id
        where t.task_id = ? and exists (select 1 from claimed) for update of g`,
      [deps.consumer, event.id, taskId],
    );
    if (!gen) return false;
    // Under the generation's lock, a new statement sees the task's latest state: it moves only
    // forward (isNewer, in SQL), and a closed generation only reopens for a newer retry series.
    // The same statement counts the generation's tasks with the change (its own snapshot does not
    // show the update: the others come from the table, this one from the update).
    const counted = await executePrepared<TaskCounts[number]>(
      tx,
      `with moved as (
         update ${s}.generation_tasks set status = ?, series = ?, error_code = ?, updated_at = now()
          where task_id = ? and (series < ? or (series = ? and ? and ${rankSql('status')} < ?)) returning task_id, status
       )
       select status, count(*)::int as n, string_agg(task_id::text, ',') as ids from (
         select task_id, status from ${s}.generation_tasks where generation_id = ? and task_id <> ?
         union all select task_id, status from moved
       ) tasks where exists (select 1 from moved) group by status`,
      [
        status,
        series,
        event.data.error?.code ?? null,
        taskId,
        series,
        series,
        isOpen(gen.status),
        rankOf(status),
        gen.id,
        taskId,
      ],
    );
    return settleFolded(tx, deps, gen, counted, log);
  });
  if (changed) deps.afterCommit();
}
