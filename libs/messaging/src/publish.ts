import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';
import { describeErrors, validator, type Envelope, type TSchemaLike } from '@reelforge/contracts';
import type { Messaging } from './context.ts';
import { injectTraceContext } from './trace-headers.ts';

// The global API's tracer (as instrumentation libraries do): it follows whatever provider the process registers.
const tracer = trace.getTracer('@reelforge/messaging');

/** A publish's span: a producer's, named by the namespaced subject and the event id. */
const producerSpan = (to: string, eventId: string) => ({
  kind: SpanKind.PRODUCER,
  attributes: { 'messaging.system': 'nats', 'messaging.destination.name': to, 'messaging.message.id': eventId },
});

/** An invalid event is a bug of its producer: refused before it is sent. */
function assertValid(envelope: Envelope, schema: TSchemaLike): void {
  const v = validator(schema);
  const type = envelope.type;
  if (!v.check(envelope)) throw new Error(`refusing to publish invalid ${type}: ${describeErrors(v.errors(envelope))}`);
}

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
  if (schema) assertValid(envelope, schema);
  const to = m.subject(subject);
  // A producer span (global tracer, as instrumentation libraries do): its context goes in the
  // headers, so the consumer's span hangs under this publish.
  return tracer.startActiveSpan(`publish ${subject}`, producerSpan(to, envelope.id), async (span) => {
    try {
      const h = extraHeaders ?? headers();
      injectTraceContext(h);
      return await m.pubAcks.publish(to, JSON.stringify(envelope), { msgID: envelope.id, headers: h });
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Sends an event to a stream's subject without asking the server to confirm it was stored (no
 * PubAck): for facts the next one supersedes within a second (task progress). JetStream stores it
 * all the same, de-duplicated by `Nats-Msg-Id`; what is given up is knowing that it was. Saves the
 * request machinery per message on our side (an inbox entry, a timer, two errors built for their
 * stacks) and the PubAck the server would write back. The envelope is checked against its schema
 * first, as publishEvent does; errors (invalid, connection closed) are thrown here.
 */
export function sendEvent(m: Messaging, subject: string, envelope: Envelope, schema?: TSchemaLike): void {
  if (schema) assertValid(envelope, schema);
  const to = m.subject(subject);
  const span = tracer.startSpan(`publish ${subject}`, producerSpan(to, envelope.id));
  try {
    const h = headers();
    h.set('Nats-Msg-Id', envelope.id);
    injectTraceContext(h, trace.setSpan(context.active(), span));
    m.nc.publish(to, JSON.stringify(envelope), { headers: h });
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}
