import { BACKLOG_OWNER_ID, type ContentTransfer, type ContentView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { toContentView, type ContentRow } from './content-queries.ts';

/**
 * Hands a claimed backlog item's tasks and clips to the claimer, in one transaction. Only rows the
 * backlog owner still holds may move (never another tenant's: that would be a leak), and rows
 * already moved to exactly this claimer count as done, so the command and the claimed fact can
 * both run it, in any order and any number of times (a conditional UPDATE, naturally idempotent:
 * no inbox needed). Returns the claimer's clips of those tasks.
 */
export async function transferContent(
  em: EntityManager,
  schema: string,
  t: ContentTransfer,
  o: { defaultRetentionMs: number; log: Logger },
): Promise<ContentView[]> {
  const s = `"${schema}"`;
  const ids = `{${t.taskIds.join(',')}}`;
  const log = o.log;
  // Kept as if made at the claim, by the claimer's retention (0 = kept; none set = the default).
  const keepMs = t.mediaRetentionDays === null ? o.defaultRetentionMs : t.mediaRetentionDays * 86_400_000;
  return em.transactional(async (tx) => {
    const moved = await tx.execute<{ id: string }[]>(
      `update ${s}.tasks set account_id = ?, owner_id = ?, updated_at = now() where id = any(?::uuid[]) and generation_id = ? and owner_id = ? returning id`,
      [t.accountId, t.ownerId, ids, t.generationId, BACKLOG_OWNER_ID],
    );
    await tx.execute(
      `update ${s}.generated_content c set account_id = ?, owner_id = ?, expires_at = ${keepMs > 0 ? `now() + (? * interval '1 millisecond')` : 'null'} from ${s}.tasks k
        where c.task_id = k.id and k.id = any(?::uuid[]) and k.generation_id = ? and k.owner_id = ? and k.account_id = ? and c.owner_id = ?`,
      [
        t.accountId,
        t.ownerId,
        ...(keepMs > 0 ? [keepMs] : []),
        ids,
        t.generationId,
        t.ownerId,
        t.accountId,
        BACKLOG_OWNER_ID,
      ],
    );
    const held = await tx.execute<{ id: string }[]>(
      `select id from ${s}.tasks where id = any(?::uuid[]) and generation_id = ? and owner_id = ? and account_id = ?`,
      [ids, t.generationId, t.ownerId, t.accountId],
    );
    const asked = new Set(t.taskIds).size;
    if (held.length < asked)
      log.warn(
        { generationId: t.generationId, asked, held: held.length },
        'content transfer: some tasks are neither the backlog’s nor this claimer’s; left alone',
      );
    if (moved.length > 0)
      log.info(
        { generationId: t.generationId, tasks: moved.length, accountId: t.accountId },
        'backlog content handed over',
      );
    // Only this item's clips: a task id of another of the claimer's generations adds nothing.
    const rows = await tx.execute<ContentRow[]>(
      `select c.* from ${s}.generated_content c join ${s}.tasks k on k.id = c.task_id
        where c.task_id = any(?::uuid[]) and k.generation_id = ? and c.owner_id = ? and c.account_id = ? order by c.task_id, c.clip_index`,
      [ids, t.generationId, t.ownerId, t.accountId],
    );
    return rows.map(toContentView);
  });
}
