import { context, propagation, type Context } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

/** Writes the active trace context (W3C `traceparent`/`tracestate`) into NATS headers. */
export function injectTraceContext(h: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, h, { set: (carrier, key, value) => carrier.set(key, value) });
}

/** Reads a trace context from NATS headers (or the root context when there is none). */
export function extractTraceContext(h: MsgHdrs | undefined): Context {
  if (!h) return context.active();
  return propagation.extract(context.active(), h, {
    get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
    keys: (carrier) => carrier.keys(),
  });
}
