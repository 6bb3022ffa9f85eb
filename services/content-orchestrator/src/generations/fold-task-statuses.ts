import type { TaskStatusChanged } from '@reelforge/contracts';
import { executePrepared, type EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { foldTaskStatus, isNewer, logIfFinished, rankOf, rankSql, type FoldDeps } from './fold-task-status.ts';
import {
  LOCKED_GENERATION_COLUMNS,
  isOpen,
  settleGenerations,
  type LockedGeneration,
  type TaskCounts,
} from './settle-generation.ts';

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

/** A locked generation as the batch's first statement returns it, with the batch's claimed and stray events. */
type LockedWithClaims = LockedGeneration & { claimed: string | null; strays: string | null };

/**
 * Folds status events of any number of generations in one transaction: the same rules as
 * foldTaskStatus (inbox, forward-only moves, counters recomputed under each generation's row
 * lock, a closed generation reopened only by a newer retry series), in three statements whatever
 * the number of events and generations: one claim+lock, one move+count, one settle. The
 * generations are locked in id order, so two batches that share generations never deadlock. One
 * event goes through foldTaskStatus itself.
 */
export async function foldTaskStatuses(
  em: EntityManager,
  events: readonly TaskStatusChanged[],
  deps: FoldDeps,
  log: Logger,
): Promise<void> {
  if (events.length === 1) return foldTaskStatus(em, events[0]!, deps, log);
  const s = `"${deps.schema}"`;
  let strays: string[] = [];
  const changed = await em.transactional(async (tx) => {
    // One round trip: the inbox claims of the events whose task is in the generation they name,
    // and those generations locked. The others ("strays": a producer named the wrong generation)
    // are folded one by one afterwards, where foldTaskStatus finds each task's real generation.
    const locked = await executePrepared<LockedWithClaims>(
      tx,
      `with input as (select * from unnest(?::uuid[], ?::uuid[], ?::uuid[]) as e (event_id, task_id, generation_id)),
       mine as (
         select i.event_id from input i
          where exists (select 1 from ${s}.generation_tasks t where t.task_id = i.task_id and t.generation_id = i.generation_id)
       ),
       claimed as (
         insert into ${s}.inbox (consumer, event_id) select ?, event_id from mine on conflict do nothing returning event_id
       ),
       locked as (
         select ${LOCKED_GENERATION_COLUMNS} from ${s}.generations g left join ${s}.accounts a on a.id = g.account_id
          where g.id in (select generation_id from input) order by g.id for update of g
       )
       select l.*, (select string_agg(event_id::text, ',') from claimed) as claimed,
              (select string_agg(event_id::text, ',') from input where event_id not in (select event_id from mine)) as strays
         from locked l`,
      [
        `{${events.map((e) => e.id).join(',')}}`,
        `{${events.map((e) => e.data.taskId).join(',')}}`,
        `{${events.map((e) => e.data.generationId).join(',')}}`,
        deps.consumer,
      ],
    );
    const [first] = locked;
    if (!first) {
      strays = events.map((e) => e.id);
      return false;
    }
    strays = first.strays ? first.strays.split(',') : [];
    if (!first.claimed) return false;
    const claimed = new Set(first.claimed.split(','));
    const gens = new Map<string, LockedGeneration>(locked.map(({ claimed: _c, strays: _s, ...gen }) => [gen.id, gen]));
    const mine = events.filter((e) => claimed.has(e.id));
    // From the claimed events only: each names its task's own generation (a stray beside it does not).
    const generationOf = new Map(mine.map((e) => [e.data.taskId, e.data.generationId!]));
    const moves = newestPerTask(mine).map((m) => {
      const generationId = generationOf.get(m.task_id)!;
      return { ...m, generation_id: generationId, open: isOpen(gens.get(generationId)!.status) };
    });
    // As in foldTaskStatus: each task moves only forward (and only within its own generation), and
    // the same statement counts the generations with the moves (its snapshot does not show them:
    // the moved tasks come from the update, the others from the table).
    const counted = await executePrepared<TaskCounts[number] & { generation_id: string }>(
      tx,
      `with v as (
         select * from jsonb_to_recordset(?::jsonb) as x (task_id uuid, generation_id uuid, status text, series int, error_code text, rank int, open boolean)
       ),
       moved as (
         update ${s}.generation_tasks t set status = v.status, series = v.series, error_code = v.error_code, updated_at = now()
           from v
          where t.task_id = v.task_id and t.generation_id = v.generation_id
            and (t.series < v.series or (t.series = v.series and v.open and ${rankSql('t.status')} < v.rank))
          returning t.task_id, t.generation_id, t.status
       )
       select generation_id, status, count(*)::int as n, string_agg(task_id::text, ',') as ids from (
         select task_id, generation_id, status from ${s}.generation_tasks
          where generation_id in (select generation_id from moved) and task_id not in (select task_id from moved)
         union all select task_id, generation_id, status from moved
       ) tasks group by generation_id, status`,
      [JSON.stringify(moves)],
    );
    if (counted.length === 0) return false;
    const byGeneration = new Map<string, TaskCounts>();
    for (const { generation_id, ...row } of counted) {
      const rows = byGeneration.get(generation_id);
      if (rows) rows.push(row);
      else byGeneration.set(generation_id, [row]);
    }
    const settling = [...byGeneration].map(([id, rows]) => ({ gen: gens.get(id)!, counted: rows }));
    const settled = await settleGenerations(tx, deps.schema, deps.service, settling);
    settled.forEach((result, i) => logIfFinished(log, settling[i]!.gen.id, result));
    return true;
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
