import { DomainError, type ArticleScript, type Principal, type TaskStats, type TaskView } from '@reelforge/contracts';
import type { EntityManager, MikroORM } from '@reelforge/persistence';

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

interface TaskRow {
  id: string;
  account_id: string;
  generation_id: string | null;
  kind: TaskView['kind'];
  script: ArticleScript | null;
  status: TaskView['status'];
  stage: string;
  percent: number | string; // numeric: pg returns it as text
  attempt: number;
  series: number;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface AttemptRow {
  task_id: string;
  attempt: number;
  started_at: Date;
  finished_at: Date | null;
  error_code: string | null;
  error_message: string | null;
}

/** Task rows as views, with their attempts read in one query for the whole page. */
async function withAttempts(em: EntityManager, tasks: TaskRow[], schema: string): Promise<TaskView[]> {
  if (tasks.length === 0) return [];
  const attempts = await em.execute<AttemptRow[]>(
    `select * from ${schema}.task_attempts where task_id = any(?::uuid[]) order by task_id, attempt`,
    [uuidArray(tasks.map((t) => t.id))],
  );
  return tasks.map((t) => ({
    id: t.id,
    accountId: t.account_id,
    generationId: t.generation_id,
    kind: t.kind,
    script: t.script,
    status: t.status,
    stage: t.stage,
    percent: Number(t.percent),
    attempt: t.attempt,
    series: t.series,
    error: t.error_code ? { code: t.error_code, message: t.error_message ?? '' } : null,
    attempts: attempts
      .filter((a) => a.task_id === t.id)
      .map((a) => ({
        attempt: a.attempt,
        startedAt: iso(a.started_at)!,
        finishedAt: iso(a.finished_at),
        error: a.error_code ? { code: a.error_code, message: a.error_message ?? '' } : null,
      })),
    createdAt: iso(t.created_at)!,
    startedAt: iso(t.started_at),
    finishedAt: iso(t.finished_at),
  }));
}

/** Read side of the task table: views scoped to the caller (the owner principal recorded with each task), queue statistics, states. */
export function createTaskQueries(deps: { orm: MikroORM; schema: string }) {
  const s = `"${deps.schema}"`;
  return {
    view: async (taskId: string, ownerId: string): Promise<TaskView> => {
      const em = deps.orm.em.fork();
      const [t] = await em.execute<TaskRow[]>(`select * from ${s}.tasks where id = ? and owner_id = ?`, [
        taskId,
        ownerId,
      ]);
      if (!t) throw new DomainError('NOT_FOUND', `task ${taskId} not found`);
      return (await withAttempts(em, [t], s))[0]!;
    },

    /** The caller's tasks, newest first; ids are UUIDv7, so the cursor is the last id. */
    list: async (req: {
      principal: Principal;
      accountId?: string;
      status?: string;
      kind?: TaskView['kind'];
      limit?: number;
      cursor?: string;
    }): Promise<{ items: TaskView[]; nextCursor: string | null }> => {
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const limit = req.limit ?? 20;
      const where = ['owner_id = ?'];
      const params: unknown[] = [req.principal.id];
      for (const [column, value] of [
        ['account_id', req.accountId],
        ['status', req.status],
        ['kind', req.kind],
      ] as const) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        params.push(value);
      }
      if (req.cursor) {
        where.push('id < ?');
        params.push(req.cursor);
      }
      const em = deps.orm.em.fork();
      const rows = await em.execute<TaskRow[]>(
        `select * from ${s}.tasks where ${where.join(' and ')} order by id desc limit ?`,
        [...params, limit + 1],
      );
      const page = rows.slice(0, limit);
      return {
        items: await withAttempts(em, page, s),
        nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
      };
    },

    /** Queue statistics over the caller's tasks. */
    stats: async (ownerId: string): Promise<TaskStats> => {
      const em = deps.orm.em.fork();
      const byStatus = await em.execute<{ status: string; n: string }[]>(
        `select status, count(*) as n from ${s}.tasks where owner_id = ? group by status`,
        [ownerId],
      );
      const [agg] = await em.execute<
        { oldest: string | null; last_minute: string; last_hour: string; retried: string; dead: string }[]
      >(
        `select extract(epoch from now() - min(created_at) filter (where status = 'queued')) as oldest,
                count(*) filter (where status = 'completed' and finished_at > now() - interval '1 minute') as last_minute,
                count(*) filter (where status = 'completed' and finished_at > now() - interval '1 hour') as last_hour,
                count(*) filter (where attempt > 1 or series > 0) as retried,
                count(*) filter (where status = 'failed') as dead
           from ${s}.tasks where owner_id = ?`,
        [ownerId],
      );
      return {
        byStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
        oldestQueuedAgeSeconds:
          agg?.oldest === null || agg?.oldest === undefined ? null : Math.round(Number(agg.oldest)),
        completedLastMinute: Number(agg?.last_minute ?? 0),
        completedLastHour: Number(agg?.last_hour ?? 0),
        retriedTasks: Number(agg?.retried ?? 0),
        // Every task that failed for good was dead-lettered (see the render consumer).
        deadLettered: Number(agg?.dead ?? 0),
      };
    },

    states: async (taskIds: string[]): Promise<{ taskId: string; status: string; errorCode: string | null }[]> => {
      const rows = await deps.orm.em
        .fork()
        .execute<{ id: string; status: string; error_code: string | null }[]>(
          `select id, status, error_code from ${s}.tasks where id = any(?::uuid[])`,
          [uuidArray(taskIds)],
        );
      return rows.map((r) => ({ taskId: r.id, status: r.status, errorCode: r.error_code }));
    },
  };
}
