import type { EntityManager } from '@reelforge/persistence';
import type { NotificationDraft } from '../notifications/from-event.ts';
import { loadPreferences } from '../preferences/preference-commands.ts';
import { completionMail } from './completion-mail.ts';
import { enqueueMail } from './mail-queue.ts';

/**
 * Queues the completion mail of a generation that ended, if its owner has an address and wants it.
 * Only generation ends are mailed. An instant claim (`backlog.item.claimed`) gets no mail of its
 * own: the claim also publishes the claimed generation as `completed` for the claimer, which
 * already mails them under these same rules, so a claim mail would be a second mail about one video.
 */
export async function queueCompletionMail(
  tx: EntityManager,
  schema: string,
  draft: NotificationDraft,
  now: Date,
): Promise<boolean> {
  if (!draft.kind.startsWith('generation.')) return false;
  const prefs = await loadPreferences(tx, schema, draft.ownerId);
  if (!prefs.email || prefs.emailOptOut || !prefs.completionEmail) return false;
  await enqueueMail(
    tx,
    schema,
    {
      ownerId: draft.ownerId,
      kind: 'completion',
      to: prefs.email,
      ...completionMail(draft),
      sourceEventId: draft.eventId,
    },
    now,
  );
  return true;
}
