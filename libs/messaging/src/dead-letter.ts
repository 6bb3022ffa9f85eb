import { headers } from '@nats-io/transport-node';
import { subjects } from '@reelforge/contracts';
import type { Messaging } from './context.ts';
import type { Delivery } from './delivery.ts';

/** What the DLQ keeps of a message that could not be handled: enough to inspect and replay it. */
export interface DeadLetter {
  stream: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveries: number;
  reason: 'invalid' | 'permanent' | 'max_deliveries';
  error: { code: string; message: string };
  failedAt: string;
  /** The original payload, as text (UTF-8) when it was text, else base64. */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
}

/** Publishes a dead letter for `msg` to `dlq.<stream>.<consumer>` (de-duplicated per stream sequence). */
export async function publishDeadLetter(
  m: Messaging,
  msg: Pick<Delivery, 'data' | 'subject' | 'headers' | 'info'>,
  consumer: string,
  reason: DeadLetter['reason'],
  error: { code: string; message: string },
): Promise<void> {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(msg.data);
  const isText = !text.includes('\uFFFD');
  const letter: DeadLetter = {
    stream: msg.info.stream,
    consumer,
    subject: msg.subject,
    streamSequence: msg.info.streamSequence,
    deliveries: msg.info.deliveryCount,
    reason,
    error,
    failedAt: new Date().toISOString(),
    payload: isText ? text : Buffer.from(msg.data).toString('base64'),
    payloadEncoding: isText ? 'utf8' : 'base64',
  };
  const h = headers();
  for (const key of ['traceparent', 'tracestate']) if (msg.headers?.has(key)) h.set(key, msg.headers.get(key));
  h.set('Reelforge-Dlq-Reason', reason);
  await m.js.publish(m.subject(subjects.deadLetter(msg.info.stream, consumer)), JSON.stringify(letter), {
    msgID: `dlq:${msg.info.stream}:${msg.info.streamSequence}`,
    headers: h,
  });
}
