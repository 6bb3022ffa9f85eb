import { DomainError, type TaskStats, type TaskView } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

interface TaskRow {
  id: string;
  account_id: string;
  generation_id: string | null;
  status: TaskView['status'];
  stage: string;
  percent: number;
  attempt: number;
  series: number;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Read side of the task table: views scoped to the caller's accounts, queue statistics, states. */
export function createTaskQueries(deps: { orm: MikroORM; schema: string }) {
  const s = `"${deps.schema}"`;
  return {
    async view(taskId: string, accountIds: string[]): Promise<TaskView> {
      const em = deps.orm.em.fork();
      const [t] = await em.execute<TaskRow[]>(`select * from ${s}.tasks where id = ? and account_id = any(?::uuid[])`, [taskId, uuidArray(accountIds)]);
      if (!t) throw new DomainError('NOT_FOUND', `task ${taskId} not found`);
      const attempts = await em.execute<{ attempt: number; started_at: Date; finished_at: Date | null; error_code: string | null; error_message: string | null }[]>(
        `select * from ${s}.task_attempts where task_id = ? order by attempt`,
        [taskId],
      );
      return {
        id: t.id,
        accountId: t.account_id,
        generationId: t.generation_id,
        status: t.status,
        stage: t.stage,
        percent: Number(t.percent),
        attempt: t.attempt,
        series: t.series,
        error: t.error_code ? { code: t.error_code, message: t.error_message ?? '' } : null,
        attempts: attempts.map((a) => ({
          attempt: a.attempt,
          startedAt: iso(a.started_at)!,
          finishedAt: iso(a.finished_at),
          error: a.error_code ? { code: a.error_code, message: a.error_message ?? '' } : null,
        })),
        createdAt: iso(t.created_at)!,
        startedAt: iso(t.started_at),
        finishedAt: iso(t.finished_at),
      };
    },

    /** Queue statistics over the caller's accounts. */
    async stats(accountIds: string[]): Promise<TaskStats> {
      const em = deps.orm.em.fork();
      const scope = uuidArray(accountIds);
      const byStatus = await em.execute<{ status: string; n: string }[]>(`select status, count(*) as n from ${s}.tasks where account_id = any(?::uuid[]) group by status`, [scope]);
      const [agg] = await em.execute<{ oldest: number | null; last_minute: string; last_hour: string; retried: string; dead: string }[]>(
        `select extract(epoch from now() - min(created_at) filter (where status = 'queued')) as oldest,
                count(*) filter (where status = 'completed' and finished_at > now() - interval '1 minute') as last_minute,
                count(*) filter (where status = 'completed' and finished_at > now() - interval '1 hour') as last_hour,
                count(*) filter (where attempt > 1 or series > 0) as retried,
                count(*) filter (where status = 'failed') as dead
           from ${s}.tasks where account_id = any(?::uuid[])`,
        [scope],
      );
      return {
        byStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
        oldestQueuedAgeSeconds: agg?.oldest === null || agg?.oldest === undefined ? null : Math.round(Number(agg.oldest)),
        completedLastMinute: Number(agg?.last_minute ?? 0),
        completedLastHour: Number(agg?.last_hour ?? 0),
        retriedTasks: Number(agg?.retried ?? 0),
        // Every task that failed for good was dead-lettered (see the render consumer).
        deadLettered: Number(agg?.dead ?? 0),
      };
    },

    async states(taskIds: string[]): Promise<{ taskId: string; status: string; errorCode: string | null }[]> {
      const rows = await deps.orm.em.fork().execute<{ id: string; status: string; error_code: string | null }[]>(`select id, status, error_code from ${s}.tasks where id = any(?::uuid[])`, [uuidArray(taskIds)]);
      return rows.map((r) => ({ taskId: r.id, status: r.status, errorCode: r.error_code }));
    },
  };
}
