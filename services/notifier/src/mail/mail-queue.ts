import { uuidv7 } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

export interface QueuedMail {
  ownerId: string;
  kind: 'completion' | 'digest';
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The fact that caused it (none for a digest): one mail per fact, even if queued twice. */
  sourceEventId: string | null;
}

/** Queues a mail in the caller's transaction: it exists if and only if what caused it commits. */
export async function enqueueMail(tx: EntityManager, schema: string, mail: QueuedMail, now: Date): Promise<void> {
  await tx.execute(
    `insert into "${schema}".mail_deliveries (id, owner_id, kind, to_address, subject, text_body, html_body, next_attempt_at, source_event_id, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (source_event_id) do nothing`,
    [
      uuidv7(now.getTime()),
      mail.ownerId,
      mail.kind,
      mail.to,
      mail.subject,
      mail.text,
      mail.html,
      now,
      mail.sourceEventId,
      now,
    ],
  );
}
