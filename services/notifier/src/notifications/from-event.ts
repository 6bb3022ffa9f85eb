import {
  SYSTEM_PRINCIPAL_PREFIX,
  type BacklogItemClaimed,
  type GenerationUpdated,
  type NotificationView,
  type TaskStatusChanged,
} from '@reelforge/contracts';

/** What one fact tells one owner; undefined when the fact is not worth a notification. */
export interface NotificationDraft {
  eventId: string;
  ownerId: string;
  accountId: string;
  kind: NotificationView['kind'];
  subjectId: string;
  message: string;
  /** When the fact happened, and what it says (without the owner id): a webhook's payload. */
  occurredAt: string;
  data: Record<string, unknown>;
}

const TERMINAL: Record<string, NotificationView['kind']> = {
  completed: 'generation.completed',
  partially_failed: 'generation.partially_failed',
  failed: 'generation.failed',
  cancelled: 'generation.cancelled',
};

/** The system's own accounts (the backlog's) have nobody to tell. */
const isSystem = (ownerId: string) => ownerId.startsWith(SYSTEM_PRINCIPAL_PREFIX);

/** A generation that ended; open ones (queuing, processing) and events without an owner say nothing. */
export function fromGeneration(event: GenerationUpdated): NotificationDraft | undefined {
  const g = event.data;
  const kind = TERMINAL[g.status];
  if (!kind || !g.ownerId || isSystem(g.ownerId)) return undefined;
  const c = g.counters;
  const message = `Generation "${g.contentType}" ${g.status.replace('_', ' ')}: ${c.completed} of ${c.totalRequested} clips made, ${c.failed} failed, ${c.cancelled} cancelled.`;
  return {
    eventId: event.id,
    ownerId: g.ownerId,
    accountId: g.accountId,
    kind,
    subjectId: g.id,
    message,
    occurredAt: event.occurredAt,
    data: withoutOwner(g),
  };
}

/** A fact's data as a client may see it: which principal owns an account is never shown. */
function withoutOwner(data: { ownerId?: string }): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...data };
  delete copy.ownerId;
  return copy;
}

/**
 * A failed task outside any generation (a generation's own failures arrive as its end). Only when
 * the fact names the owner (facts from before owners were carried do not).
 */
export function fromTaskStatus(event: TaskStatusChanged): NotificationDraft | undefined {
  const t = event.data;
  if (t.status !== 'failed' || t.generationId !== null || !t.ownerId || isSystem(t.ownerId)) return undefined;
  const reason = t.error ? `${t.error.code}: ${t.error.message}` : 'no reason given';
  return {
    eventId: event.id,
    ownerId: t.ownerId,
    accountId: event.accountId,
    kind: 'task.failed',
    subjectId: t.taskId,
    message: `Task failed (${reason}).`,
    occurredAt: event.occurredAt,
    data: withoutOwner(t),
  };
}

/** An instant claim: the item is in the claimer's account now (paid). A system principal claims nothing, so tells nobody. */
export function fromBacklogClaim(event: BacklogItemClaimed): NotificationDraft | undefined {
  const c = event.data;
  if (isSystem(c.ownerId)) return undefined;
  const paid = c.creditsCharged > 0 ? ` for ${c.creditsCharged} credit${c.creditsCharged === 1 ? '' : 's'}` : '';
  return {
    eventId: event.id,
    ownerId: c.ownerId,
    accountId: c.accountId,
    kind: 'backlog.item.claimed',
    subjectId: c.generationId,
    message: `Your instant "${c.recipeName}" video is ready${paid}.`,
    occurredAt: event.occurredAt,
    data: withoutOwner(c),
  };
}
