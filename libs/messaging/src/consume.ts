import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { describeErrors, lenientValidator, type TSchemaLike } from '@reelforge/contracts';
import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Messaging } from './context.ts';
import { publishDeadLetter } from './dead-letter.ts';
import type { Delivery } from './delivery.ts';
import { PermanentError, RetryableError, errorCode, errorMessage } from './errors.ts';
import { backoffDelayMs, type RetryPolicy } from './retry-policy.ts';
import { startSlotPuller } from './slot-puller.ts';
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
  /** How long one pull request waits on the server before an idle consumer asks again; 30 s. */
  pullExpiresMs?: number;
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
  /** Messages being handled now. */
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
  // Fails fast when the consumer does not exist (it is provisioned before the service starts).
  await m.jsm.consumers.info(stream, durable);
  const streamInfo = await m.jsm.streams.info(stream);
  const isWorkQueue = streamInfo.config.retention === 'workqueue';
  // Lenient: a newer producer's additional fields are accepted and stripped (additive evolution).
  const check = lenientValidator(options.schema);
  const log = options.log.child({ consumer: durable });
  const abortHandlers = new AbortController();
  const running = new Set<Promise<void>>();

  async function settleDeadLetter(
    msg: Delivery,
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

  /** Runs the handler and settles the message, except for an ack, which it leaves to the puller (true). */
  async function handle(msg: Delivery): Promise<boolean> {
    const deliveryCount = msg.info.deliveryCount;
    let event: unknown;
    try {
      event = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      await settleDeadLetter(msg, undefined, 'invalid', { code: 'INVALID_JSON', message: 'payload is not JSON' });
      return false;
    }
    const parsed = check.parse(event);
    if (parsed === undefined) {
      await settleDeadLetter(msg, event, 'invalid', {
        code: 'INVALID_MESSAGE',
        message: describeErrors(check.errors(event)),
      });
      return false;
    }
    event = parsed;
    if (deliveryCount > options.retry.maxDeliveries) {
      await settleDeadLetter(msg, event, 'max_deliveries', {
        code: 'MAX_DELIVERIES',
        message: `delivered ${deliveryCount - 1} times without being settled (the handler never finished: crash or timeout)`,
      });
      return false;
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
    // The message's child logger is made when a handler first logs: most never do, and a pino
    // child (its bindings serialised and redacted) per message was ~1.5% of a busy consumer's CPU.
    let childLog: Logger | undefined;
    const ctx: HandlerContext = {
      deliveryCount,
      lastAttempt: deliveryCount >= options.retry.maxDeliveries,
      signal: abortHandlers.signal,
      get log() {
        return (childLog ??= log.child({ seq: msg.info.streamSequence, delivery: deliveryCount }));
      },
      subject: msg.subject,
    };
    try {
      await context.with(trace.setSpan(parent, span), () => options.handler(event as Static<S>, ctx));
      return true;
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
      return false;
    } finally {
      clearInterval(heartbeat);
      span.end();
    }
  }

  const puller = startSlotPuller({
    nc: m.nc,
    stream,
    durable,
    slots: options.concurrency,
    expiresMs: options.pullExpiresMs ?? 30_000,
    heartbeatMs: options.heartbeatMs,
    log,
    onMessage(msg) {
      const done = handle(msg)
        .then((ack) => (ack ? puller.ackAndRelease(msg) : puller.release()))
        .catch((err: unknown) => {
          // Settling itself failed (e.g. NATS down): the message will be redelivered after ack_wait.
          log.error({ err: errorMessage(err) }, 'could not settle message');
          puller.release();
        });
      running.add(done);
      void done.finally(() => running.delete(done));
    },
  });
  log.info({ concurrency: options.concurrency }, 'consumer started');

  const allRunning = async () => {
    while (running.size > 0) await Promise.all(running);
  };

  return {
    get inFlight() {
      return running.size;
    },
    stop: async () => {
      await puller.stop();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        allRunning().then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), options.drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn(
          { inFlight: running.size },
          'drain timed out; aborting running handlers and handing their messages back',
        );
        abortHandlers.abort();
        await allRunning();
      }
    },
  };
}
