import type { GenerationCounters, GenerationStatus } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { isNewer } from './fold-task-status.ts';
import { settleGeneration } from './settle-generation.ts';

/** A task's real state, as its owner (the repurposer) reports it. */
export interface RealTaskState {
  taskId: string;
  status: string;
  errorCode: string | null;
}

/** Asks the repurposer for its tasks' states; undefined when it cannot be asked (then the recorded states are used). */
export type TaskStatesLookup = (taskIds: string[]) => Promise<RealTaskState[] | undefined>;

export interface Recount {
  /** Which repair this was: all_tasks_terminal, no_active_tasks, counters_exceed_total or recounted. */
  case: string;
  status: GenerationStatus;
  counters: GenerationCounters;
  before: { status: string } & GenerationCounters;
}

/** The real states of a generation's tasks ([] without tasks; undefined when the repurposer cannot be asked). */
export async function realStatesOf(
  em: EntityManager,
  schema: string,
  taskStates: TaskStatesLookup,
  generationId: string,
): Promise<RealTaskState[] | undefined> {
  const tasks = await em.execute<{ task_id: string }[]>(
    `select task_id from "${schema}".generation_tasks where generation_id = ?`,
    [generationId],
  );
  return tasks.length ? taskStates(tasks.map((t) => t.task_id)).catch(() => undefined) : [];
}

type GenerationRow = {
  status: string;
  total_requested: number;
  queued: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
};

const countersOf = (g: GenerationRow): GenerationCounters => ({
  totalRequested: g.total_requested,
  queued: g.queued,
  processing: g.processing,
  completed: g.completed,
  failed: g.failed,
  cancelled: g.cancelled,
});

/**
 * Recomputes one open generation from its tasks' real states, in the caller's transaction: applies
 * states that move a task forward, drops tasks that were never created from the total once nothing
 * is active, fails a generation without tasks, and closes it (settleGeneration) when every task is
 * terminal. Undefined when the generation is not open. Shared by the cleanup job, the fold's dead
 * letters and the takeover of an expired lock.
 */
export async function recountGeneration(
  tx: EntityManager,
  deps: { schema: string; service: string },
  id: string,
  real: RealTaskState[] | undefined,
): Promise<Recount | undefined> {
  const s = `"${deps.schema}"`;
  const [gen] = await tx.execute<GenerationRow[]>(
    `select * from ${s}.generations where id = ? and status in ('queuing', 'processing') for update`,
    [id],
  );
  if (!gen) return undefined;
  for (const r of real ?? []) {
    const [cur] = await tx.execute<{ status: string; series: number }[]>(
      `select status, series from ${s}.generation_tasks where task_id = ?`,
      [r.taskId],
    );
    const status = r.status === 'cancelling' ? 'processing' : r.status;
    if (cur && isNewer(cur, { status, series: cur.series })) {
      await tx.execute(
        `update ${s}.generation_tasks set status = ?, error_code = ?, updated_at = now() where task_id = ?`,
        [status, r.errorCode, r.taskId],
      );
    }
  }
  const rows = await tx.execute<{ status: string; n: string }[]>(
    `select status, count(*) as n from ${s}.generation_tasks where generation_id = ? group by status`,
    [id],
  );
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
    await tx.execute(
      `update ${s}.generations set status = 'failed', finished_at = now(), updated_at = now() where id = ?`,
      [id],
    );
    await tx.execute(`delete from ${s}.generation_locks where generation_id = ?`, [id]);
  }
  const status: GenerationStatus =
    taskCount === 0 ? 'failed' : (await settleGeneration(tx, deps.schema, deps.service, id)).status;
  const [after] = await tx.execute<GenerationRow[]>(`select * from ${s}.generations where id = ?`, [id]);
  return { case: kind, status, counters: countersOf(after!), before: { status: gen.status, ...countersOf(gen) } };
}
