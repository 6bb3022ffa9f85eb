import { uuidv7 } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { NotificationDraft } from '../notifications/from-event.ts';
import { filterMatches } from './event-filter.ts';

/** The body every endpoint receives: the event's id (the receiver's dedupe key), type, time, account and data. */
function webhookPayload(draft: NotificationDraft): string {
  return JSON.stringify({
    id: draft.eventId,
    type: draft.kind,
    occurredAt: draft.occurredAt,
    accountId: draft.accountId,
    data: draft.data,
  });
}

/**
 * Queues one delivery per enabled webhook of the fact's owner that wants it, in the caller's
 * transaction: the deliveries exist if and only if the notification does. A disabled webhook gets
 * nothing, as with Stripe: re-enabling it does not replay what happened meanwhile.
 */
export async function queueWebhookDeliveries(
  tx: EntityManager,
  schema: string,
  draft: NotificationDraft,
  now: Date,
  maxAttempts: number,
): Promise<number> {
  const hooks = await tx.execute<{ id: string; events: string[]; account_id: string | null }[]>(
    `select id, events, account_id from "${schema}".webhooks where owner_id = ? and enabled`,
    [draft.ownerId],
  );
  const wanted = hooks.filter(
    (h) => (h.account_id === null || h.account_id === draft.accountId) && filterMatches(h.events, draft.kind),
  );
  const payload = webhookPayload(draft);
  for (const hook of wanted) {
    await tx.execute(
      `insert into "${schema}".webhook_deliveries (id, webhook_id, event_id, event_type, payload, max_attempts, next_attempt_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (webhook_id, event_id) do nothing`,
      [uuidv7(now.getTime()), hook.id, draft.eventId, draft.kind, payload, maxAttempts, now, now],
    );
  }
  return wanted.length;
}
