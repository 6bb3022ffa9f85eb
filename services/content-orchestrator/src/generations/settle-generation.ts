import { makeEnvelope, subjects, type GenerationStatus } from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { applyCredit } from '../credits/credit-ledger.ts';
import { loadGenerationView } from './generation-view.ts';

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

/**
 * Recomputes a generation's counters and status from its tasks' states, in the caller's
 * transaction (which must hold the generation's row lock). When every task is terminal it closes
 * the generation, releases its lock and settles its sources; a reopened one (a retried task) gets
 * its sources reserved again. Announces the result through the outbox. Returns the new status.
 */
export async function settleGeneration(
  tx: EntityManager,
  schema: string,
  service: string,
  generationId: string,
): Promise<{ status: GenerationStatus; counts: Record<string, number> }> {
  const s = `"${schema}"`;
  const [gen] = await tx.execute<
    { account_id: string; total_requested: number; cancel_requested_at: Date | null; credits_per_task: number }[]
  >(`select account_id, total_requested, cancel_requested_at, credits_per_task from ${s}.generations where id = ?`, [
    generationId,
  ]);
  if (!gen) throw new Error(`generation ${generationId} vanished`);
  const rows = await tx.execute<{ status: string; n: string }[]>(
    `select status, count(*) as n from ${s}.generation_tasks where generation_id = ? group by status`,
    [generationId],
  );
  const counts: Record<string, number> = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const status = generationStatusOf(counts, gen.total_requested, gen.cancel_requested_at !== null);
  const finished = !isOpen(status);
  await tx.execute(
    `update ${s}.generations set status = ?, queued = ?, processing = ?, completed = ?, failed = ?, cancelled = ?, updated_at = now(), finished_at = ${finished ? 'coalesce(finished_at, now())' : 'null'} where id = ?`,
    [
      status,
      counts.queued ?? 0,
      counts.processing ?? 0,
      counts.completed ?? 0,
      counts.failed ?? 0,
      counts.cancelled ?? 0,
      generationId,
    ],
  );
  if (finished) {
    await tx.execute(`delete from ${s}.generation_locks where generation_id = ?`, [generationId]);
    // Used sources are spent; sources of failed or cancelled tasks go back to the pool, except
    // after a permanent input failure (a corrupt source would only fail again).
    await tx.execute(
      `update ${s}.source_videos v set updated_at = now(), generation_id = null,
         state = case when t.status = 'completed' then 'used' when t.error_code in ('INVALID_INPUT', 'SOURCE_UNAVAILABLE', 'SOURCE_TOO_LARGE', 'SOURCE_URL_FORBIDDEN') then 'failed' else 'available' end
       from ${s}.generation_tasks t where t.source_id = v.id and t.generation_id = ?`,
      [generationId],
    );
    if (gen.credits_per_task > 0) await refundUnmade(tx, schema, generationId, gen.account_id, gen.credits_per_task);
  } else {
    await tx.execute(
      `update ${s}.source_videos v set state = 'reserved', generation_id = t.generation_id, updated_at = now()
       from ${s}.generation_tasks t where t.source_id = v.id and t.generation_id = ? and t.status in ('queued', 'processing') and v.state <> 'reserved'`,
      [generationId],
    );
  }
  const view = await loadGenerationView(tx, schema, generationId);
  if (view) {
    // The owner travels with the fact so the notifier can tell that principal without asking us.
    const [owner] = await tx.execute<{ owner_id: string }[]>(`select owner_id from ${s}.accounts where id = ?`, [
      view.accountId,
    ]);
    await enqueueOutbox(
      tx,
      schema,
      subjects.generation(view.accountId),
      makeEnvelope('content.generation.updated.v1', service, view.accountId, {
        ...view,
        ...(owner ? { ownerId: owner.owner_id } : {}),
      }),
    );
  }
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
