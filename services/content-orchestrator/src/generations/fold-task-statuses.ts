import type { TaskStatusChanged } from '@reelforge/contracts';
import { executePrepared, type EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { foldTaskStatus, isNewer, rankOf, rankSql, settleFolded, type FoldDeps } from './fold-task-status.ts';
import { LOCKED_GENERATION_COLUMNS, isOpen, type LockedGeneration, type TaskCounts } from './settle-generation.ts';

interface Move {
  task_id: string;
  status: string;
  series: number;
  error_code: string | null;
  rank: number;
}

/** The newest state per task among `events` (isNewer), as the rows of one update. */
export function newestPerTask(events: readonly TaskStatusChanged[]): Move[] {
  const newest = new Map<string, Move>();
  for (const e of events) {
    const incoming = {
      task_id: e.data.taskId,
      status: e.data.status,
      series: e.data.series ?? 0,
      error_code: e.data.error?.code ?? null,
      rank: rankOf(e.data.status),
    };
    const current = newest.get(incoming.task_id);
    if (!current || isNewer(current, incoming)) newest.set(incoming.task_id, incoming);
  }
  return [...newest.values()];
}

/**
 * Folds several status events of ONE generation in one transaction: the same rules as
 * foldTaskStatus (inbox, forward-only moves, counters recomputed under the generation's row lock,
 * a closed generation reopened only by a newer retry series), with one claim+lock, one move+count
 * and one settle for all of them instead of one of each per event. One event goes through
 * foldTaskStatus itself.
 */
export async function foldTaskStatuses(
  em: EntityManager,
  generationId: string,
  events: readonly TaskStatusChanged[],
  deps: FoldDeps,
  log: Logger,
): Promise<void> {
  if (events.length === 1) return foldTaskStatus(em, events[0]!, deps, log);
  const s = `"${deps.schema}"`;
  let strays: string[] = [];
  const changed = await em.transactional(async (tx) => {
    // One round trip: the inbox claims of the events whose task is this generation's, and the
    // generation locked. The others ("strays": a producer named the wrong generation) are folded
    // one by one afterwards, where foldTaskStatus finds each task's real generation.
    const [row] = await executePrepared<LockedGeneration & { claimed: string | null; strays: string | null }>(
      tx,
      `with input as (select * from unnest(?::uuid[], ?::uuid[]) as e (event_id, task_id)),
       mine as (
         select i.event_id from input i
          where exists (select 1 from ${s}.generation_tasks t where t.task_id = i.task_id and t.generation_id = ?)
       ),
       claimed as (
         insert into ${s}.inbox (consumer, event_id) select ?, event_id from mine on conflict do nothing returning event_id
       )
       select ${LOCKED_GENERATION_COLUMNS}, (select string_agg(event_id::text, ',') from claimed) as claimed,
              (select string_agg(event_id::text, ',') from input where event_id not in (select event_id from mine)) as strays
         from ${s}.generations g left join ${s}.accounts a on a.id = g.account_id
        where g.id = ? for update of g`,
      [
        `{${events.map((e) => e.id).join(',')}}`,
        `{${events.map((e) => e.data.taskId).join(',')}}`,
        generationId,
        deps.consumer,
        generationId,
      ],
    );
    if (!row) {
      strays = events.map((e) => e.id);
      return false;
    }
    const { claimed: claimedIds, strays: strayIds, ...gen } = row;
    strays = strayIds ? strayIds.split(',') : [];
    if (!claimedIds) return false;
    const claimed = new Set(claimedIds.split(','));
    const moves = newestPerTask(events.filter((e) => claimed.has(e.id)));
    // As in foldTaskStatus: each task moves only forward (and only its own generation's tasks),
    // and the same statement counts the generation with the moves (its snapshot does not show
    // them: the moved tasks come from the update, the others from the table).
    const counted = await executePrepared<TaskCounts[number]>(
      tx,
      `with v as (
         select * from jsonb_to_recordset(?::jsonb) as x (task_id uuid, status text, series int, error_code text, rank int)
       ),
       moved as (
         update ${s}.generation_tasks t set status = v.status, series = v.series, error_code = v.error_code, updated_at = now()
           from v
          where t.task_id = v.task_id and t.generation_id = ?
            and (t.series < v.series or (t.series = v.series and ? and ${rankSql('t.status')} < v.rank))
          returning t.task_id, t.status
       )
       select status, count(*)::int as n, string_agg(task_id::text, ',') as ids from (
         select task_id, status from ${s}.generation_tasks
          where generation_id = ? and task_id not in (select task_id from moved)
         union all select task_id, status from moved
       ) tasks where exists (select 1 from moved) group by status`,
      [JSON.stringify(moves), gen.id, isOpen(gen.status), gen.id],
    );
    return settleFolded(tx, deps, gen, counted, log);
  });
  if (changed) deps.afterCommit();
  for (const id of new Set(strays))
    await foldTaskStatus(
      em,
      events.find((e) => e.id === id)!,
      deps,
      log,
    );
}
