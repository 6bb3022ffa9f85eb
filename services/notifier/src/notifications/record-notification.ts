import { uuidv7 } from '@reelforge/contracts';
import { claimInbox, type EntityManager } from '@reelforge/persistence';
import type { NotificationDraft } from './from-event.ts';

/**
 * Claims the event in the inbox and stores its notification in one transaction, so a redelivered
 * event (or one the relay sent twice) makes no second row. `also` runs in the same transaction
 * (the completion mail is queued there). Returns whether a row was written.
 */
export async function recordNotification(
  em: EntityManager,
  schema: string,
  consumer: string,
  eventId: string,
  draft: NotificationDraft | undefined,
  now: Date,
  also?: (tx: EntityManager, draft: NotificationDraft) => Promise<void>,
): Promise<boolean> {
  // Facts that notify nobody are not claimed: they would only fill the inbox.
  if (!draft) return false;
  return em.transactional(async (tx) => {
    if (!(await claimInbox(tx, schema, consumer, eventId))) return false;
    await tx.execute(
      `insert into "${schema}".notifications (id, owner_id, account_id, kind, subject_id, message, event_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (event_id) do nothing`,
      [
        uuidv7(now.getTime()),
        draft.ownerId,
        draft.accountId,
        draft.kind,
        draft.subjectId,
        draft.message,
        draft.eventId,
        now,
      ],
    );
    if (also) await also(tx, draft);
    return true;
  });
}
