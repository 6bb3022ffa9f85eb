import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';
import { describeErrors, validator, type Envelope, type TSchemaLike } from '@reelforge/contracts';
import type { Messaging } from './context.ts';
import { injectTraceContext } from './trace-headers.ts';

/**
 * Publishes an event to JetStream with `Nats-Msg-Id` = envelope id (server-side de-duplication
 * within the stream's window) and the active trace context in the headers. The envelope is checked
 * against its schema first: an invalid event is a bug here, not the consumer's problem.
 * `subject` is unprefixed; the namespace prefix is added here.
 */
export async function publishEvent(
  m: Messaging,
  subject: string,
  envelope: Envelope,
  schema?: TSchemaLike,
  extraHeaders?: MsgHdrs,
): Promise<PubAck> {
  if (schema) {
    const v = validator(schema);
    const type = envelope.type;
    if (!v.check(envelope))
      throw new Error(`refusing to publish invalid ${type}: ${describeErrors(v.errors(envelope))}`);
  }
  const h = extraHeaders ?? headers();
  injectTraceContext(h);
  return m.js.publish(m.subject(subject), JSON.stringify(envelope), { msgID: envelope.id, headers: h });
}
