import { makeEnvelope, subjects, type GenerationStatus } from '@reelforge/contracts';
import {
  executePrepared,
  keyedOutboxRow,
  outboxInsertKeyed,
  type EntityManager,
  type KeyedOutboxRow,
} from '@reelforge/persistence';
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

/** What settling one generation writes and announces, decided from its locked row and its counted tasks. */
interface SettlePlan {
  gen: LockedGeneration;
  status: GenerationStatus;
  counts: Record<string, number>;
  row: GenerationRow;
  finished: boolean;
  /** A closed generation whose task was retried: its open tasks' sources are reserved again. */
  reopened: boolean;
  announce: KeyedOutboxRow;
}

function planSettle(service: string, gen: LockedGeneration, rows: TaskCounts): SettlePlan {
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
  const announce = keyedOutboxRow(gen.id, {
    subject: subjects.generation(gen.account_id),
    envelope: makeEnvelope('content.generation.updated.v1', service, gen.account_id, {
      ...toGenerationView(row, taskIds),
      ...(gen.owner_id ? { ownerId: gen.owner_id } : {}),
    }),
  });
  // An open generation's sources stay reserved from its start: only a reopened one needs them again.
  return { gen, status, counts, row, finished, reopened: !finished && !isOpen(gen.status), announce };
}

/**
 * The settle of any number of generations in one statement (one plan, whatever the number): their
 * rows updated; for those that finished, the lock released and the sources settled (used sources
 * are spent; sources of failed or cancelled tasks go back to the pool, except after a permanent
 * input failure: a corrupt source would only fail again); for those reopened, their open tasks'
 * sources reserved again; each announced through the outbox.
 */
const settleSql = (schema: string) => {
  const s = `"${schema}"`;
  return `with g as (
  select * from jsonb_to_recordset(?::jsonb) as x (id uuid, status text, queued int, processing int, completed int, failed int, cancelled int, finished_at timestamptz, finished boolean, reopened boolean)
),
updated as (
  update ${s}.generations n set status = g.status, queued = g.queued, processing = g.processing, completed = g.completed,
         failed = g.failed, cancelled = g.cancelled, updated_at = now(), finished_at = g.finished_at
    from g where n.id = g.id
),
unlocked as (delete from ${s}.generation_locks where generation_id in (select id from g where finished)),
released as (
  update ${s}.source_videos v set updated_at = now(), generation_id = null,
         state = case when t.status = 'completed' then 'used' when t.error_code in ('INVALID_INPUT', 'SOURCE_UNAVAILABLE', 'SOURCE_TOO_LARGE', 'SOURCE_URL_FORBIDDEN') then 'failed' else 'available' end
    from ${s}.generation_tasks t where t.source_id = v.id and t.generation_id in (select id from g where finished)
),
reserved as (
  update ${s}.source_videos v set state = 'reserved', generation_id = t.generation_id, updated_at = now()
    from ${s}.generation_tasks t
   where t.source_id = v.id and t.generation_id in (select id from g where reopened) and t.status in ('queued', 'processing') and v.state <> 'reserved'
),
announced as (${outboxInsertKeyed(schema, 'g')})
select 1`;
};

/** One generation to settle: its row as read under its lock, and its tasks counted after the caller's last change to them. */
export interface Settling {
  gen: LockedGeneration;
  counted: TaskCounts;
}

/**
 * Recomputes the counters and status of generations from their tasks' states, in the caller's
 * transaction (which must hold each generation's row lock), in one statement (settleSql). When
 * every task of one is terminal it closes it, releases its lock and settles its sources; a
 * reopened one (a retried task) gets its sources reserved again. Announces each result through the
 * outbox; a closed paid generation refunds what it did not make. Returns the new status of each.
 */
export async function settleGenerations(
  tx: EntityManager,
  schema: string,
  service: string,
  settling: readonly Settling[],
): Promise<{ status: GenerationStatus; counts: Record<string, number> }[]> {
  const plans = settling.map(({ gen, counted }) => planSettle(service, gen, counted));
  if (plans.length === 0) return [];
  const rows = plans.map((p) => ({
    id: p.gen.id,
    status: p.status,
    queued: p.row.queued,
    processing: p.row.processing,
    completed: p.row.completed,
    failed: p.row.failed,
    cancelled: p.row.cancelled,
    finished_at: p.row.finished_at,
    finished: p.finished,
    reopened: p.reopened,
  }));
  await executePrepared(tx, settleSql(schema), [JSON.stringify(rows), JSON.stringify(plans.map((p) => p.announce))]);
  for (const p of plans)
    if (p.finished && p.gen.credits_per_task > 0)
      await refundUnmade(tx, schema, p.gen.id, p.gen.account_id, p.gen.credits_per_task);
  return plans.map((p) => ({ status: p.status, counts: p.counts }));
}

/**
 * settleGenerations for one generation; `locked`: its row as the caller read it when it took the
 * lock; `counted`: its tasks, counted by the caller in this transaction after its last change to
 * them. Each is read here when not given (the lock taken then).
 */
export async function settleGeneration(
  tx: EntityManager,
  schema: string,
  service: string,
  generationId: string,
  locked?: LockedGeneration,
  counted?: TaskCounts,
): Promise<{ status: GenerationStatus; counts: Record<string, number> }> {
  const gen = locked ?? (await lockGeneration(tx, schema, generationId));
  if (!gen) throw new Error(`generation ${generationId} vanished`);
  const rows = counted ?? (await tx.execute<TaskCounts>(countTasksSql(schema), [generationId]));
  const [settled] = await settleGenerations(tx, schema, service, [{ gen, counted: rows }]);
  return settled!;
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
