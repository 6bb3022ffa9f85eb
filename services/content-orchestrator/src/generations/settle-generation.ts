import { makeEnvelope, subjects, type GenerationStatus } from '@reelforge/contracts';
import { executePrepared, outboxInsert, type EntityManager } from '@reelforge/persistence';
import { applyCredit } from '../credits/credit-ledger.ts';
import { toGenerationView, type GenerationRow } from './generation-view.ts';

/** A generation's status from its tasks' states (and whether the user asked to cancel it). */
export function generationStatusOf(
  counts: Record<string, number>,
  total: number,
  cancelRequested = false,
): GenerationStatus {
  const completed = counts.completed ?? 0;
  const failed = counts.failed ?? 0;
  const cancelled = counts.cancelled ?? 0;
  if (completed + failed + cancelled < total)
    return (counts.processing ?? 0) + completed + failed + cancelled > 0 ? 'processing' : 'queuing';
  if (completed === total) return 'completed';
  if (cancelled === total || (cancelRequested && cancelled > 0)) return 'cancelled';
  if (completed > 0) return 'partially_failed';
  return failed > 0 ? 'failed' : 'cancelled';
}

const OPEN_STATUSES: readonly GenerationStatus[] = ['queuing', 'processing'];

/** Whether a generation in this status still runs (a raw status string from the database). */
export const isOpen = (status: string): boolean => OPEN_STATUSES.includes(status);

/** What a caller that already holds the generation's row lock read with it (saves settle reading it again). */
export interface LockedGeneration {
  id: string;
  status: string;
  account_id: string;
  content_type: string;
  total_requested: number;
  cancel_requested_at: Date | null;
  credits_per_task: number;
  created_at: Date | string;
  finished_at: Date | string | null;
  owner_id: string | null;
}

/** The columns of LockedGeneration, from `generations g` joined with `accounts a`. */
export const LOCKED_GENERATION_COLUMNS =
  'g.id, g.status, g.account_id, g.content_type, g.total_requested, g.cancel_requested_at, g.credits_per_task, g.created_at, g.finished_at, a.owner_id';

/** The generation's row with its account's owner, locked for the caller's transaction. */
export async function lockGeneration(
  tx: EntityManager,
  schema: string,
  generationId: string,
): Promise<LockedGeneration | undefined> {
  const s = `"${schema}"`;
  // Locks the generation only (`of g`): the owner never changes, so a stale read of it is harmless.
  const [gen] = await executePrepared<LockedGeneration>(
    tx,
    `select ${LOCKED_GENERATION_COLUMNS} from ${s}.generations g left join ${s}.accounts a on a.id = g.account_id where g.id = ? for update of g`,
    [generationId],
  );
  return gen;
}

/** A generation's tasks by status: how many, and which. */
// `ids` comma-separated: a text[] column costs the driver's array parser ~10× more than a split.
export type TaskCounts = { status: string; n: number; ids: string }[];

/** The query that counts a generation's tasks by status (TaskCounts), its one parameter the generation id. */
export const countTasksSql = (schema: string) =>
  `select status, count(*)::int as n, string_agg(task_id::text, ',') as ids from "${schema}".generation_tasks where generation_id = ? group by status`;

/**
 * Recomputes a generation's counters and status from its tasks' states, in the caller's
 * transaction (which must hold the generation's row lock). When every task is terminal it closes
 * the generation, releases its lock and settles its sources; a reopened one (a retried task) gets
 * its sources reserved again. Announces the result through the outbox. Returns the new status.
 * `locked`: the row as the caller read it when it took the lock; `counted`: its tasks, counted by
 * the caller in this transaction after its last change to them. Each is read here when not given.
 * The writes go in one statement.
 */
export async function settleGeneration(
  tx: EntityManager,
  schema: string,
  service: string,
  generationId: string,
  locked?: LockedGeneration,
  counted?: TaskCounts,
): Promise<{ status: GenerationStatus; counts: Record<string, number> }> {
  const s = `"${schema}"`;
  const gen = locked ?? (await lockGeneration(tx, schema, generationId));
  if (!gen) throw new Error(`generation ${generationId} vanished`);
  const rows = counted ?? (await tx.execute<TaskCounts>(countTasksSql(schema), [generationId]));
  const counts: Record<string, number> = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  const status = generationStatusOf(counts, gen.total_requested, gen.cancel_requested_at !== null);
  const finished = !isOpen(status);
  // The clock of this process, written and announced alike (the event shows what the row holds).
  const finishedAt = finished ? (gen.finished_at ?? new Date()) : null;
  const row: GenerationRow = {
    ...gen,
    status,
    queued: counts.queued ?? 0,
    processing: counts.processing ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
    cancelled: counts.cancelled ?? 0,
    finished_at: finishedAt,
  };
  const taskIds = rows.flatMap((r) => r.ids.split(',')).sort();
  // The owner travels with the fact so the notifier can tell that principal without asking us.
  const announce = outboxInsert(schema, [
    {
      subject: subjects.generation(gen.account_id),
      envelope: makeEnvelope('content.generation.updated.v1', service, gen.account_id, {
        ...toGenerationView(row, taskIds),
        ...(gen.owner_id ? { ownerId: gen.owner_id } : {}),
      }),
    },
  ]);
  const steps = [
    `updated as (update ${s}.generations set status = ?, queued = ?, processing = ?, completed = ?, failed = ?, cancelled = ?, updated_at = now(), finished_at = ?::timestamptz where id = ?)`,
  ];
  const params: unknown[] = [
    status,
    row.queued,
    row.processing,
    row.completed,
    row.failed,
    row.cancelled,
    finishedAt,
    generationId,
  ];
  if (finished) {
    steps.push(
      `unlocked as (delete from ${s}.generation_locks where generation_id = ?)`,
      // Used sources are spent; sources of failed or cancelled tasks go back to the pool, except
      // after a permanent input failure (a corrupt source would only fail again).
      `released as (update ${s}.source_videos v set updated_at = now(), generation_id = null,
         state = case when t.status = 'completed' then 'used' when t.error_code in ('INVALID_INPUT', 'SOURCE_UNAVAILABLE', 'SOURCE_TOO_LARGE', 'SOURCE_URL_FORBIDDEN') then 'failed' else 'available' end
       from ${s}.generation_tasks t where t.source_id = v.id and t.generation_id = ?)`,
    );
    params.push(generationId, generationId);
  } else if (!isOpen(gen.status)) {
    // Reopened (a task of a closed generation was retried): its open tasks' sources are reserved
    // again. An open generation's sources stay reserved from its start: nothing to do then.
    steps.push(
      `reserved as (update ${s}.source_videos v set state = 'reserved', generation_id = t.generation_id, updated_at = now()
       from ${s}.generation_tasks t where t.source_id = v.id and t.generation_id = ? and t.status in ('queued', 'processing') and v.state <> 'reserved')`,
    );
    params.push(generationId);
  }
  steps.push(`announced as (${announce.sql})`);
  await executePrepared(tx, `with ${steps.join(', ')} select 1`, [...params, ...announce.params]);
  if (finished && gen.credits_per_task > 0)
    await refundUnmade(tx, schema, generationId, gen.account_id, gen.credits_per_task);
  return { status, counts };
}

/**
 * Gives back what a paid generation's failed or cancelled videos cost: one refund per task (its
 * reference), so a generation that closes again after a retry never refunds a task twice. A task
 * refunded and then retried to success is not charged again (retries are on us).
 */
async function refundUnmade(
  tx: EntityManager,
  schema: string,
  generationId: string,
  accountId: string,
  perTask: number,
): Promise<void> {
  const unmade = await tx.execute<{ task_id: string }[]>(
    `select task_id from "${schema}".generation_tasks where generation_id = ? and status in ('failed', 'cancelled') order by task_id`,
    [generationId],
  );
  for (const t of unmade)
    await applyCredit(tx, schema, {
      accountId,
      amount: perTask,
      reason: 'refund',
      reference: `task:${t.task_id}`,
      note: `generation ${generationId}`,
    });
}
