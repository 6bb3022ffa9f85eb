import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import type { JsMsg } from '@nats-io/jetstream';
import { describeErrors, lenientValidator, type TSchemaLike } from '@reelforge/contracts';
import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Messaging } from './context.ts';
import { publishDeadLetter } from './dead-letter.ts';
import { PermanentError, RetryableError, errorCode, errorMessage } from './errors.ts';
import { backoffDelayMs, type RetryPolicy } from './retry-policy.ts';
import { extractTraceContext } from './trace-headers.ts';

export interface HandlerContext {
  /** 1 for the first delivery. */
  deliveryCount: number;
  /** True when this is the last delivery the policy allows. */
  lastAttempt: boolean;
  /** Aborted when the worker stops and the grace period is over: stop and let the message go back. */
  signal: AbortSignal;
  log: Logger;
  subject: string;
}

type Handler<S extends TSchemaLike> = (event: Static<S>, ctx: HandlerContext) => Promise<void>;

export interface ConsumerOptions<S extends TSchemaLike> {
  /** Unprefixed stream and durable names (the namespace is applied here). */
  stream: string;
  durable: string;
  schema: S;
  handler: Handler<S>;
  /** Messages handled at once by this process. */
  concurrency: number;
  retry: RetryPolicy;
  /** In-progress ack period while a handler runs; keep well under the consumer's ack_wait. */
  heartbeatMs: number;
  /** How long stop() waits for running handlers before aborting them and handing messages back. */
  drainTimeoutMs: number;
  /** Called with the dead letter's reason and the delivery count, before the message is terminated. */
  onDeadLetter?: (
    event: unknown,
    reason: string,
    error: { code: string; message: string },
    deliveries: number,
  ) => Promise<void>;
  log: Logger;
  tracer: Tracer;
}

export interface RunningConsumer {
  /** Stops pulling, waits for running handlers (up to the drain timeout), then hands the rest back. */
  stop(): Promise<void>;
  /** Resolves when `n` more messages have been settled (acked, naked or dead-lettered); for tests. */
  readonly inFlight: number;
}

/**
 * Runs a durable pull consumer with explicit acks:
 * - invalid payload (bad JSON or schema) → dead letter, term; unknown properties are not invalid:
 *   they are stripped before the handler sees the event (a newer producer may add fields);
 * - handler resolves → ack;
 * - PermanentError → dead letter, term;
 * - any other error → nak with exponential backoff; after `retry.maxDeliveries` → dead letter, term;
 * - a delivery past the limit (e.g. the handler crashed the process every time) → dead letter
 *   without running the handler again.
 * While a handler runs, the message gets an in-progress ack every `heartbeatMs`.
 */
export async function startConsumer<S extends TSchemaLike>(
  m: Messaging,
  options: ConsumerOptions<S>,
): Promise<RunningConsumer> {
  const stream = m.stream(options.stream);
  const durable = `${m.ns.streamPrefix}${options.durable}`;
  const consumer = await m.js.consumers.get(stream, durable);
  const streamInfo = await m.jsm.streams.info(stream);
  const isWorkQueue = streamInfo.config.retention === 'workqueue';
  // Lenient: a newer producer's additional fields are accepted and stripped (additive evolution).
  const check = lenientValidator(options.schema);
  const log = options.log.child({ consumer: durable });
  const stopping = new AbortController();
  const abortHandlers = new AbortController();
  let inFlight = 0;

  async function settleDeadLetter(
    msg: JsMsg,
    event: unknown,
    reason: 'invalid' | 'permanent' | 'max_deliveries',
    error: { code: string; message: string },
  ) {
    await publishDeadLetter(m, msg, durable, reason, error);
    if (options.onDeadLetter) await options.onDeadLetter(event, reason, error, msg.info.deliveryCount);
    msg.term(`${reason}: ${error.message}`.slice(0, 200));
    // A work queue keeps a terminated message until it is deleted (NATS 2.9): the DLQ has it now.
    if (isWorkQueue) await m.jsm.streams.deleteMessage(stream, msg.info.streamSequence, false).catch(() => undefined);
    log.warn({ seq: msg.info.streamSequence, reason, error }, 'message dead-lettered');
  }

  async function handle(msg: JsMsg): Promise<void> {
    const deliveryCount = msg.info.deliveryCount;
    let event: unknown;
    try {
      event = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      return settleDeadLetter(msg, undefined, 'invalid', { code: 'INVALID_JSON', message: 'payload is not JSON' });
    }
    const parsed = check.parse(event);
    if (parsed === undefined) {
      return settleDeadLetter(msg, event, 'invalid', {
        code: 'INVALID_MESSAGE',
        message: describeErrors(check.errors(event)),
      });
    }
    event = parsed;
    if (deliveryCount > options.retry.maxDeliveries) {
      return settleDeadLetter(msg, event, 'max_deliveries', {
        code: 'MAX_DELIVERIES',
        message: `delivered ${deliveryCount - 1} times without being settled (the handler never finished: crash or timeout)`,
      });
    }
    const parent = extractTraceContext(msg.headers);
    const span = options.tracer.startSpan(
      `consume ${options.durable}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': msg.subject,
          'messaging.message.delivery_count': deliveryCount,
        },
      },
      parent,
    );
    const heartbeat = setInterval(() => msg.working(), options.heartbeatMs);
    try {
      await context.with(trace.setSpan(parent, span), () =>
        options.handler(event as Static<S>, {
          deliveryCount,
          lastAttempt: deliveryCount >= options.retry.maxDeliveries,
          signal: abortHandlers.signal,
          log: log.child({ seq: msg.info.streamSequence, delivery: deliveryCount }),
          subject: msg.subject,
        }),
      );
      msg.ack();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      const error = { code: errorCode(err), message: errorMessage(err) };
      if (abortHandlers.signal.aborted) {
        msg.nak(0); // Shutting down: hand it straight back to another instance.
      } else if (err instanceof PermanentError) {
        await context.with(trace.setSpan(parent, span), () => settleDeadLetter(msg, event, 'permanent', error));
      } else if (deliveryCount >= options.retry.maxDeliveries) {
        await context.with(trace.setSpan(parent, span), () => settleDeadLetter(msg, event, 'max_deliveries', error));
      } else {
        const delay =
          err instanceof RetryableError && err.retryAfterMs !== undefined
            ? err.retryAfterMs
            : backoffDelayMs(options.retry, deliveryCount);
        log.warn(
          { seq: msg.info.streamSequence, delivery: deliveryCount, delayMs: delay, error },
          'handler failed; will retry',
        );
        msg.nak(delay);
      }
    } finally {
      clearInterval(heartbeat);
      span.end();
    }
  }

  // One loop per slot: each pulls one message, handles it, and pulls the next. Bounded concurrency
  // without an internal queue, so nothing is pulled that this process cannot start on now.
  async function loop(): Promise<void> {
    while (!stopping.signal.aborted) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: 2000 });
      } catch (err) {
        if (stopping.signal.aborted) return;
        log.warn({ err: errorMessage(err) }, 'pull failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!msg) continue;
      if (stopping.signal.aborted) {
        msg.nak(0);
        return;
      }
      inFlight++;
      try {
        await handle(msg);
      } catch (err) {
        // Settling itself failed (e.g. NATS down): the message will be redelivered after ack_wait.
        log.error({ err: errorMessage(err) }, 'could not settle message');
      } finally {
        inFlight--;
      }
    }
  }

  const loops = Array.from({ length: options.concurrency }, () => loop());
  log.info({ concurrency: options.concurrency }, 'consumer started');

  return {
    get inFlight() {
      return inFlight;
    },
    stop: async () => {
      stopping.abort();
      const all = Promise.all(loops);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), options.drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ inFlight }, 'drain timed out; aborting running handlers and handing their messages back');
        abortHandlers.abort();
        await all;
      }
    },
  };
}
