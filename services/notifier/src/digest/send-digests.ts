import type { EntityManager } from '@reelforge/persistence';
import { enqueueMail } from '../mail/mail-queue.ts';

/** At most one digest per principal every 12 hours (docs/operations.md, Notifications: Digest). */
const DIGEST_EVERY_MS = 12 * 60 * 60 * 1000;

/** The digest mail: only the count, never what the notifications say. */
function digestMail(unread: number): { subject: string; text: string; html: string } {
  const what = unread === 1 ? '1 unread notification' : `${unread} unread notifications`;
  return {
    subject: `Reelforge: ${what}`,
    text: `You have ${what} in Reelforge.\n\nYou get this mail because the digest is on in your notification preferences.\n`,
    html: `<!doctype html><html><body><p>You have <strong>${what}</strong> in Reelforge.</p><p><small>You get this mail because the digest is on in your notification preferences.</small></p></body></html>`,
  };
}

/**
 * Queues a digest for every principal who wants one, has an address, has unread notifications and
 * whose last digest check is at least 12 hours old (or who never had one), then stamps the check
 * time, all in one transaction. Rows are claimed with SKIP LOCKED, so two concurrent runs (two
 * replicas, a retried job) never mail a principal twice. Returns how many digests were queued.
 */
export async function sendDigests(deps: {
  fork: () => EntityManager;
  schema: string;
  clock: () => Date;
}): Promise<{ sent: number }> {
  const s = `"${deps.schema}"`;
  const now = deps.clock();
  const dueBefore = new Date(now.getTime() - DIGEST_EVERY_MS);
  return deps.fork().transactional(async (tx) => {
    const due = await tx.execute<{ owner_id: string; email: string; unread: string }[]>(
      `select p.owner_id, p.email, (select count(*) from ${s}.notifications n where n.owner_id = p.owner_id and n.read_at is null) as unread
       from ${s}.notification_preferences p
       where p.digest and not p.email_opt_out and p.email is not null
         and (p.last_digest_check_at is null or p.last_digest_check_at <= ?)
         and exists (select 1 from ${s}.notifications n where n.owner_id = p.owner_id and n.read_at is null)
       for update of p skip locked`,
      [dueBefore],
    );
    for (const p of due) {
      await enqueueMail(
        tx,
        deps.schema,
        { ownerId: p.owner_id, kind: 'digest', to: p.email, ...digestMail(Number(p.unread)), sourceEventId: null },
        now,
      );
      await tx.execute(`update ${s}.notification_preferences set last_digest_check_at = ? where owner_id = ?`, [
        now,
        p.owner_id,
      ]);
    }
    return { sent: due.length };
  });
}
