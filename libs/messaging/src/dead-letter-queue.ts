import { DeliverPolicy } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { DomainError, STREAMS, type DeadLetterView, type RedriveResult } from '@reelforge/contracts';
import type { Messaging } from './context.ts';
import type { DeadLetter } from './dead-letter.ts';

/** A listed payload is cut to this many characters: 100 letters stay well under NATS's 1 MB reply limit. */
const PAYLOAD_PREVIEW = 2000;

function isDeadLetter(v: unknown): v is DeadLetter {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  return (
    typeof l.subject === 'string' &&
    typeof l.payload === 'string' &&
    (l.payloadEncoding === 'utf8' || l.payloadEncoding === 'base64')
  );
}

function readLetter(data: Uint8Array): DeadLetter | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
    return isDeadLetter(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function toView(id: number, letter: DeadLetter): DeadLetterView {
  return {
    id,
    stream: letter.stream,
    consumer: letter.consumer,
    subject: letter.subject,
    streamSequence: letter.streamSequence,
    deliveries: letter.deliveries,
    reason: letter.reason,
    error: { code: letter.error.code, message: letter.error.message },
    failedAt: letter.failedAt,
    payload: letter.payload.slice(0, PAYLOAD_PREVIEW),
    payloadEncoding: letter.payloadEncoding,
    payloadTruncated: letter.payload.length > PAYLOAD_PREVIEW,
  };
}

/**
 * The DLQ's entries after sequence `after`, oldest first, `limit` at most (read with a short-lived
 * ordered consumer; nothing is acknowledged or removed). `nextCursor` is the last id when more follow.
 */
export async function listDeadLetters(
  m: Messaging,
  page: { after: number; limit: number },
): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
  const stream = m.stream(STREAMS.DLQ.name);
  const info = await m.jsm.streams.info(stream);
  const from = Math.max(page.after + 1, info.state.first_seq);
  if (info.state.messages === 0 || from > info.state.last_seq) return { items: [], nextCursor: null };
  const consumer = await m.js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
  });
  const items: DeadLetterView[] = [];
  let more = false;
  try {
    // One more than the page tells whether another page follows.
    const batch = await consumer.fetch({ max_messages: page.limit + 1, expires: 1000 });
    for await (const msg of batch) {
      if (items.length === page.limit) {
        more = true;
        break;
      }
      const letter = readLetter(msg.data);
      if (letter) items.push(toView(msg.info.streamSequence, letter));
      if (msg.info.pending === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return { items, nextCursor: more && items.length ? String(items[items.length - 1]!.id) : null };
}

/**
 * Sends a dead letter's original payload again to its original subject, then removes it from the
 * DLQ. The republished message gets `Nats-Msg-Id` `redrive:<DLQ stream>:<id>`: new to the original
 * stream (whose window may still hold the first id), and the same for two redrives of one letter,
 * so a double click publishes once. A crash between publish and removal leaves the letter listed;
 * redriving it again is absorbed by that id within the duplicate window and by consumers' inboxes.
 */
export async function redriveDeadLetter(m: Messaging, id: number): Promise<RedriveResult> {
  const dlq = m.stream(STREAMS.DLQ.name);
  const stored = await m.jsm.streams.getMessage(dlq, { seq: id });
  if (!stored) throw new DomainError('NOT_FOUND', `dead letter ${id} not found`);
  const letter = readLetter(stored.data);
  if (!letter) throw new DomainError('UNPROCESSABLE', `DLQ entry ${id} is not a dead letter this system wrote`);
  // Letters name their namespaced subject; one from another namespace is not ours to send.
  if (!letter.subject.startsWith(m.ns.subjectPrefix))
    throw new DomainError('UNPROCESSABLE', `dead letter ${id} belongs to another namespace`);
  const payload =
    letter.payloadEncoding === 'base64'
      ? Buffer.from(letter.payload, 'base64')
      : new TextEncoder().encode(letter.payload);
  const h = headers();
  for (const key of ['traceparent', 'tracestate']) {
    const value = stored.header?.get(key);
    if (value) h.set(key, value);
  }
  h.set('Reelforge-Redriven-From', String(id));
  const ack = await m.js.publish(letter.subject, payload, { msgID: `redrive:${dlq}:${id}`, headers: h });
  await m.jsm.streams.deleteMessage(dlq, id, false).catch((err: unknown) => {
    // Already gone: a concurrent redrive of the same letter removed it.
    if (!(err instanceof Error && /not found|no message/i.test(err.message))) throw err;
  });
  return { id, subject: letter.subject, stream: ack.stream, sequence: ack.seq, duplicate: ack.duplicate };
}
