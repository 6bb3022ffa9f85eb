import { DomainError, uuidv7, type JobRunView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

export interface RunStoreDeps {
  fork: () => EntityManager;
  schema: string;
}

interface Row {
  id: string;
  job: string;
  slot: Date;
  status: JobRunView['status'];
  attempts: number;
  started_at: Date;
  finished_at: Date | null;
  summary: Record<string, unknown> | null;
  error: string | null;
}

const COLUMNS = 'id, job, slot, status, attempts, started_at, finished_at, summary, error';

function toRunView(r: Row): JobRunView {
  return {
    id: r.id,
    job: r.job,
    slot: new Date(r.slot).toISOString(),
    status: r.status,
    attempts: r.attempts,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    summary: r.summary,
    error: r.error,
  };
}

/** What a claim found: this caller runs the slot, or someone else has (or is running) it. */
export type Claim = { claimed: true; run: JobRunView } | { claimed: false; run: JobRunView };

/**
 * Claims (job, slot) for `holder` with a lease of `leaseMs` (database time, the same for every
 * process). The unique (job, slot) key lets only one claimant insert; a `running` row whose lease
 * ran out is first marked `died`, and a died row is taken over (attempts + 1). A succeeded or
 * failed slot is never run again.
 */
export async function claimRun(
  deps: RunStoreDeps,
  req: { job: string; slot: Date; holder: string; leaseMs: number },
): Promise<Claim> {
  const s = `"${deps.schema}"`;
  return deps.fork().transactional(async (em) => {
    await em.execute(
      `update ${s}.job_runs set status = 'died', finished_at = now(), error = 'the run stopped renewing its lease (process died)', locked_until = null where job = ? and slot = ? and status = 'running' and locked_until < now()`,
      [req.job, req.slot],
    );
    const [taken] = await em.execute<Row[]>(
      `insert into ${s}.job_runs (id, job, slot, status, started_at, locked_until, locked_by, attempts) values (?, ?, ?, 'running', now(), now() + (? * interval '1 millisecond'), ?, 1)
       on conflict (job, slot) do update set status = 'running', started_at = now(), finished_at = null, summary = null, error = null,
         locked_until = excluded.locked_until, locked_by = excluded.locked_by, attempts = job_runs.attempts + 1
       where job_runs.status = 'died'
       returning ${COLUMNS}`,
      [uuidv7(), req.job, req.slot, req.leaseMs, req.holder],
    );
    if (taken) return { claimed: true, run: toRunView(taken) };
    const [existing] = await em.execute<Row[]>(`select ${COLUMNS} from ${s}.job_runs where job = ? and slot = ?`, [
      req.job,
      req.slot,
    ]);
    if (!existing)
      throw new DomainError('CONFLICT', `job run ${req.job} at ${req.slot.toISOString()} vanished while claiming it`);
    return { claimed: false, run: toRunView(existing) };
  });
}

/** Pushes the lease forward while the run works; false when the row is no longer this holder's. */
export async function renewLease(
  deps: RunStoreDeps,
  req: { id: string; holder: string; leaseMs: number },
): Promise<boolean> {
  const rows = await deps
    .fork()
    .execute<{ id: string }[]>(
      `update "${deps.schema}".job_runs set locked_until = now() + (? * interval '1 millisecond') where id = ? and locked_by = ? and status = 'running' returning id`,
      [req.leaseMs, req.id, req.holder],
    );
  return rows.length > 0;
}

/** Records the outcome (only while this holder still owns the running row). */
export async function finishRun(
  deps: RunStoreDeps,
  req: {
    id: string;
    holder: string;
    status: 'succeeded' | 'failed';
    summary: Record<string, unknown> | null;
    error: string | null;
  },
): Promise<JobRunView | undefined> {
  const [row] = await deps.fork().execute<Row[]>(
    `update "${deps.schema}".job_runs set status = ?, finished_at = now(), summary = ?::jsonb, error = ?, locked_until = null
     where id = ? and locked_by = ? and status = 'running' returning ${COLUMNS}`,
    [req.status, req.summary === null ? null : JSON.stringify(req.summary), req.error, req.id, req.holder],
  );
  return row ? toRunView(row) : undefined;
}

/** The slots of `job` in [`from`, `to`] that ran, or are running under a live lease. */
export async function recordedSlots(
  deps: RunStoreDeps,
  req: { job: string; from: Date; to: Date },
): Promise<Set<number>> {
  // A died run, or a running one whose lease ran out, does not count: the claim retries it.
  const rows = await deps
    .fork()
    .execute<{ slot: Date }[]>(
      `select slot from "${deps.schema}".job_runs where job = ? and slot between ? and ? and status <> 'died' and not (status = 'running' and locked_until < now())`,
      [req.job, req.from, req.to],
    );
  return new Set(rows.map((r) => new Date(r.slot).getTime()));
}

/** Newest first; the cursor is the last row's id (UUIDv7, so time-ordered). */
export async function listRuns(
  deps: RunStoreDeps,
  q: { job?: string | undefined; status?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<{ items: JobRunView[]; nextCursor: string | null }> {
  const limit = Math.min(q.limit ?? 20, 100);
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.job) {
    where.push('job = ?');
    params.push(q.job);
  }
  if (q.status) {
    where.push('status = ?');
    params.push(q.status);
  }
  if (q.cursor) {
    if (!/^[0-9a-f-]{36}$/i.test(q.cursor))
      throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', { field: 'cursor' });
    where.push('id < ?');
    params.push(q.cursor);
  }
  const rows = await deps
    .fork()
    .execute<Row[]>(
      `select ${COLUMNS} from "${deps.schema}".job_runs ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ?`,
      [...params, limit + 1],
    );
  const page = rows.slice(0, limit);
  return { items: page.map(toRunView), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}
