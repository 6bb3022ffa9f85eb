import { makeEnvelope, subjects, type GenerationCounters, type GenerationStatus } from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { loadGenerationView } from './generation-view.ts';
import { recountGeneration, type RealTaskState } from './recount-generation.ts';
import { isOpen, settleGeneration } from './settle-generation.ts';

export interface ExpiredLock {
  accountId: string;
  contentType: string;
  generationId: string;
}

/** Recorded on the tasks a generation gave up when its lock expired. */
const LOCK_EXPIRED = 'LOCK_EXPIRED';

/** The expired locks, oldest first (all of them for the cleanup job, one account+type's for a start). */
export async function findExpiredLocks(
  em: EntityManager,
  schema: string,
  where?: { accountId: string; contentType: string },
): Promise<ExpiredLock[]> {
  const rows = await em.execute<{ account_id: string; content_type: string; generation_id: string }[]>(
    `select account_id, content_type, generation_id from "${schema}".generation_locks where expires_at < now() ${where ? 'and account_id = ? and content_type = ?' : ''} order by expires_at limit 1000`,
    where ? [where.accountId, where.contentType] : [],
  );
  return rows.map((r) => ({ accountId: r.account_id, contentType: r.content_type, generationId: r.generation_id }));
}

/**
 * Closes the generation holding an expired lock and removes the lock, in the caller's transaction.
 * The generation is first recounted from its tasks' real states, as the cleanup job does; tasks
 * still open after that are given up: recorded `cancelled` (LOCK_EXPIRED) and sent one cancel
 * request, so the repurposer stops them and confirms the same state. Locks the generation row
 * before the lock row (the order the fold uses), so the two never deadlock. Undefined when the lock
 * is no longer expired (another start took it over, or it was released).
 */
export async function closeExpiredLock(
  tx: EntityManager,
  deps: { schema: string; service: string },
  lock: ExpiredLock,
  real: RealTaskState[] | undefined,
): Promise<{ status: GenerationStatus; counters: GenerationCounters; wasOpen: boolean } | undefined> {
  const s = `"${deps.schema}"`;
  const [gen] = await tx.execute<{ status: string }[]>(`select status from ${s}.generations where id = ? for update`, [
    lock.generationId,
  ]);
  const held = await tx.execute(
    `select 1 from ${s}.generation_locks where account_id = ? and content_type = ? and generation_id = ? and expires_at < now() for update`,
    [lock.accountId, lock.contentType, lock.generationId],
  );
  if (!gen || held.length === 0) return undefined;
  const wasOpen = isOpen(gen.status);
  if (wasOpen) {
    const recount = await recountGeneration(tx, deps, lock.generationId, real);
    if (recount && isOpen(recount.status)) {
      const open = await tx.execute<{ task_id: string }[]>(
        `update ${s}.generation_tasks set status = 'cancelled', error_code = ?, updated_at = now() where generation_id = ? and status in ('queued', 'processing') returning task_id`,
        [LOCK_EXPIRED, lock.generationId],
      );
      const reason = 'the generation lock expired';
      await enqueueOutbox(
        tx,
        deps.schema,
        subjects.cancelRequest(lock.accountId),
        makeEnvelope('content.cancel.requested.v1', deps.service, lock.accountId, {
          generationId: lock.generationId,
          taskIds: open.map((t) => t.task_id),
          reason,
        }),
      );
      await settleGeneration(tx, deps.schema, deps.service, lock.generationId);
    }
  }
  await tx.execute(
    `delete from ${s}.generation_locks where account_id = ? and content_type = ? and generation_id = ?`,
    [lock.accountId, lock.contentType, lock.generationId],
  );
  const view = await loadGenerationView(tx, deps.schema, lock.generationId);
  return { status: view!.status, counters: view!.counters, wasOpen };
}
