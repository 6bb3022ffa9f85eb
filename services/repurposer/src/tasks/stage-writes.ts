import { coalesceByKey, executePrepared, type MikroORM } from '@reelforge/persistence';

export interface StageWrite {
  taskId: string;
  attempt: number;
  stage: string;
  percent: number;
}

const keyOf = (w: { taskId: string; attempt: number }) => `${w.taskId}:${w.attempt}`;

/**
 * Mirrors running tasks' stages into their rows (so a snapshot, GET /tasks/:id, shows them),
 * group-committed: the stage changes of every task that arrive while one write runs go together
 * in the next statement, the latest per task, in arrival order. Each write resolves to whether a
 * cancel is pending for its task (the row is then `cancelling` and keeps its stage), read only
 * for the tasks the write did not find processing: one round trip while tasks run normally.
 */
export function createStageWrites(deps: { orm: MikroORM; schema: string }) {
  const s = `"${deps.schema}"`;

  async function cancelling(taskIds: string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    const rows = await deps.orm.em
      .fork()
      .execute<{ id: string }[]>(`select id from ${s}.tasks where id = any(?::uuid[]) and status = 'cancelling'`, [
        `{${taskIds.join(',')}}`,
      ]);
    return new Set(rows.map((r) => r.id));
  }

  async function writeAll(writes: StageWrite[]): Promise<boolean[]> {
    const latest = new Map<string, StageWrite>();
    for (const w of writes) latest.set(keyOf(w), w);
    const rows = await executePrepared<{ id: string; attempt: number }>(
      deps.orm.em.fork(),
      // A row another transaction holds (the task completing, failing or being cancelled right
      // now) is skipped, not waited for: its stage is about to be overwritten anyway, and waiting
      // would let this batch and a group-committed completion lock their rows in opposite orders
      // and deadlock (seen as a 1 s stall, PostgreSQL's deadlock_timeout, and the batch undone).
      // It commits without waiting for the WAL flush: a stage is a display of a running attempt,
      // not a transition. A crash within the flush delay only shows the stage before it, and the
      // task's next durable commit flushes it anyway (the WAL is flushed in order).
      `with settings as (select set_config('synchronous_commit', 'off', true)),
       v as (select * from jsonb_to_recordset(?::jsonb) as v (id uuid, attempt int, stage text, percent numeric)),
       free as (
         select t.id from ${s}.tasks t where t.id in (select id from v) and t.status = 'processing' and (select true from settings) for update skip locked
       )
       update ${s}.tasks t set stage = v.stage, percent = v.percent, updated_at = now()
         from v
        where t.id = v.id and t.attempt = v.attempt and t.status = 'processing' and t.id in (select id from free)
        returning t.id, t.attempt`,
      [JSON.stringify([...latest.values()].map((w) => ({ ...w, id: w.taskId })))],
    );
    const written = new Set(rows.map((r) => keyOf({ taskId: r.id, attempt: r.attempt })));
    const pending = await cancelling([...latest.values()].filter((w) => !written.has(keyOf(w))).map((w) => w.taskId));
    return writes.map((w) => !written.has(keyOf(w)) && pending.has(w.taskId));
  }

  const write = coalesceByKey<StageWrite, boolean>({
    runBatch: (_key, writes) => writeAll(writes),
    runOne: async (_key, w) => (await writeAll([w]))[0]!,
    maxBatch: 500,
  });

  return {
    /** Writes a stage; true when a cancel is pending for the task. */
    setStage: (w: StageWrite): Promise<boolean> => write('stages', w),
  };
}
