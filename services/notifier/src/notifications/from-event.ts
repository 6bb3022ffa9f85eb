import type { GenerationUpdated, NotificationView, TaskStatusChanged } from '@reelforge/contracts';

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

/** A generation that ended; open ones (queuing, processing) and events without an owner say nothing. */
export function fromGeneration(event: GenerationUpdated): NotificationDraft | undefined {
  const g = event.data;
  const kind = TERMINAL[g.status];
  if (!kind || !g.ownerId) return undefined;
  const c = g.counters;
  const message = `Generation "${g.contentType}" ${g.status.replace('_', ' ')}: ${c.completed} of ${c.totalRequested} clips made, ${c.failed} failed, ${c.cancelled} cancelled.`;
  return { eventId: event.id, ownerId: g.ownerId, accountId: g.accountId, kind, subjectId: g.id, message, occurredAt: event.occurredAt, data: withoutOwner(g) };
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
  if (t.status !== 'failed' || t.generationId !== null || !t.ownerId) return undefined;
  const reason = t.error ? `${t.error.code}: ${t.error.message}` : 'no reason given';
  return { eventId: event.id, ownerId: t.ownerId, accountId: event.accountId, kind: 'task.failed', subjectId: t.taskId, message: `Task failed (${reason}).`, occurredAt: event.occurredAt, data: withoutOwner(t) };
}
