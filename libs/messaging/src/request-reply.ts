import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { headers, RequestError, TimeoutError, type Subscription } from '@nats-io/transport-node';
import {
  DomainError,
  describeErrors,
  isErrorCode,
  validator,
  type CommandDeclaration,
  type ErrorBody,
  type TSchemaLike,
} from '@reelforge/contracts';
import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Messaging } from './context.ts';
import { extractTraceContext, injectTraceContext } from './trace-headers.ts';

// The global API's tracer (as instrumentation libraries do): it follows whatever provider the process registers.
const tracer = trace.getTracer('@reelforge/messaging');

/**
 * The reply on the wire: errors cross as data (a code from docs/errors.md + message), never as stacks,
 * so the caller can map the code to its HTTP status and nothing of the owner's internals leaks.
 */
type Reply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/**
 * A command's handler. `signal` aborts (reason: a CommandDeadlineError) when the deadline passes and
 * the caller has already been answered; a handler may pass it on (fetch, child processes) or ignore it.
 */
export type CommandHandler<Req extends TSchemaLike, Res extends TSchemaLike> = (
  request: Static<Req>,
  signal: AbortSignal,
) => Promise<Static<Res>>;

/** Longest a handler may run before its caller is told SERVICE_UNAVAILABLE (well above the gateway's 5 s). */
const DEFAULT_COMMAND_DEADLINE_MS = 30_000;

/** The abort reason handed to a handler that ran past its deadline. */
class CommandDeadlineError extends Error {
  readonly subject: string;
  readonly deadlineMs: number;
  constructor(subject: string, deadlineMs: number) {
    super(`${subject} did not finish within ${deadlineMs} ms`);
    this.name = 'CommandDeadlineError';
    this.subject = subject;
    this.deadlineMs = deadlineMs;
  }
}

/**
 * Serves one command on its subject in the service's queue group (one instance answers each
 * request). DomainErrors travel back as their code; anything else is logged here and answered as
 * INTERNAL without details. A handler still running after `deadlineMs` is answered with
 * SERVICE_UNAVAILABLE and logged, and its signal aborts: the caller is not left hanging, and a
 * stuck handler is visible and can stop its work.
 */
export function serveCommand<Req extends TSchemaLike, Res extends TSchemaLike>(
  m: Messaging,
  decl: CommandDeclaration<Req, Res>,
  handler: CommandHandler<Req, Res>,
  deps: { log: Logger; tracer: Tracer },
  options: { deadlineMs?: number } = {},
): Subscription {
  const deadlineMs = options.deadlineMs ?? DEFAULT_COMMAND_DEADLINE_MS;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0)
    throw new RangeError(`the deadline of ${decl.subject} must be a positive number of ms, not ${deadlineMs}`);
  const check = validator(decl.request);
  return m.nc.subscribe(m.subject(decl.subject), {
    queue: m.service,
    callback: (err, msg) => {
      if (err) {
        deps.log.error({ err: err.message, subject: decl.subject }, 'command subscription failed');
        return;
      }
      const parent = extractTraceContext(msg.headers);
      const span = deps.tracer.startSpan(`handle ${decl.subject}`, { kind: SpanKind.SERVER }, parent);
      let answered = false;
      // Once only: after a deadline answer, the handler's late result (or failure) is dropped.
      const respond = (reply: Reply<unknown>) => {
        if (answered) return;
        answered = true;
        if (!reply.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: reply.error.code });
        span.end();
        msg.respond(JSON.stringify(reply));
      };
      void context.with(trace.setSpan(parent, span), async () => {
        let request: unknown;
        try {
          request = JSON.parse(new TextDecoder().decode(msg.data));
        } catch {
          respond({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'request is not JSON' } });
          return;
        }
        if (!check.check(request)) {
          respond({
            ok: false,
            error: { code: 'VALIDATION_FAILED', message: describeErrors(check.errors(request)) },
          });
          return;
        }
        const controller = new AbortController();
        const timer = setTimeout(() => {
          const late = new CommandDeadlineError(decl.subject, deadlineMs);
          deps.log.error({ subject: decl.subject, deadlineMs }, 'command did not finish within its deadline');
          respond({ ok: false, error: { code: 'SERVICE_UNAVAILABLE', message: late.message } });
          controller.abort(late); // answer first: the reply is out whatever the handler's abort listeners do
        }, deadlineMs);
        try {
          const data = await handler(request, controller.signal);
          // A late write may still have happened although the caller was told otherwise: say so.
          if (controller.signal.aborted)
            deps.log.warn({ subject: decl.subject, deadlineMs }, 'command finished after its deadline; result dropped');
          respond({ ok: true, data });
        } catch (e) {
          if (controller.signal.aborted) {
            // Already answered and logged; the handler stopping on its signal is expected, anything else is worth a line.
            if (e !== controller.signal.reason)
              deps.log.warn({ err: e, subject: decl.subject }, 'command failed after its deadline');
            return;
          }
          if (e instanceof DomainError) {
            respond({ ok: false, error: e.toBody() });
            return;
          }
          deps.log.error({ err: e, subject: decl.subject }, 'command failed');
          respond({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
        } finally {
          clearTimeout(timer);
        }
      });
    },
  });
}

/** Why an owner's reply could not be read; the cause of the BAD_GATEWAY DomainError. */
class MalformedReplyError extends Error {
  readonly owner: string;
  readonly subject: string;
  constructor(owner: string, subject: string, problem: string) {
    super(`${owner} sent a malformed reply to ${subject}: ${problem}`);
    this.name = 'MalformedReplyError';
    this.owner = owner;
    this.subject = subject;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a reply off the wire: the parsed Reply, or what is wrong with it. */
function readReply(raw: Uint8Array): { reply: Reply<unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return { problem: 'not JSON' };
  }
  if (!isPlainObject(value)) return { problem: 'not an object' };
  if (value.ok === true)
    return 'data' in value ? { reply: { ok: true, data: value.data } } : { problem: 'ok without data' };
  if (value.ok !== false) return { problem: '`ok` is neither true nor false' };
  const error = value.error;
  if (!isPlainObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string')
    return { problem: 'error without a string code and message' };
  if (error.details !== undefined && !isPlainObject(error.details))
    return { problem: 'error details are not an object' };
  // An unknown code is a readable reply from a newer owner: it arrives as INTERNAL (below).
  const code = isErrorCode(error.code) ? error.code : 'INTERNAL';
  return {
    reply: { ok: false, error: { code, message: error.message, ...(error.details ? { details: error.details } : {}) } },
  };
}

/**
 * Sends a command and waits for the answer. No responder → SERVICE_UNAVAILABLE at once; no answer
 * in time → SERVICE_UNAVAILABLE after `timeoutMs`; an error answer → a DomainError with its code; an
 * answer that is not a reply → BAD_GATEWAY (our fault, never the caller's), logged on `log` if given.
 * `strict` also checks the data against the declared response schema; off by default because during
 * a rolling deploy an owner may already send a field this caller's contracts do not know yet.
 */
export async function sendCommand<Req extends TSchemaLike, Res extends TSchemaLike>(
  m: Messaging,
  decl: CommandDeclaration<Req, Res>,
  request: Static<Req>,
  options: { timeoutMs: number; owner: string; log?: Logger; strict?: boolean },
): Promise<Static<Res>> {
  // A client span (global tracer, as instrumentation libraries do); the handler's span is its child.
  return tracer.startActiveSpan(
    `command ${decl.subject}`,
    { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': decl.subject } },
    async (span) => {
      try {
        return await requestReply(m, decl, request, options);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof DomainError ? err.code : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

async function requestReply<Req extends TSchemaLike, Res extends TSchemaLike>(
  m: Messaging,
  decl: CommandDeclaration<Req, Res>,
  request: Static<Req>,
  options: { timeoutMs: number; owner: string; log?: Logger; strict?: boolean },
): Promise<Static<Res>> {
  const h = headers();
  injectTraceContext(h);
  let raw: Uint8Array;
  try {
    const msg = await m.nc.request(m.subject(decl.subject), JSON.stringify(request), {
      timeout: options.timeoutMs,
      headers: h,
    });
    raw = msg.data;
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders()) {
      throw new DomainError('SERVICE_UNAVAILABLE', `${options.owner} is not available`, undefined, { cause: err });
    }
    if (err instanceof TimeoutError || (err instanceof Error && err.cause instanceof TimeoutError)) {
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        `${options.owner} did not answer within ${options.timeoutMs} ms`,
        undefined,
        { cause: err },
      );
    }
    throw new DomainError('SERVICE_UNAVAILABLE', `${options.owner} could not be reached`, undefined, { cause: err });
  }
  const malformed = (problem: string): DomainError => {
    const cause = new MalformedReplyError(options.owner, decl.subject, problem);
    options.log?.error(
      {
        err: cause,
        owner: options.owner,
        subject: decl.subject,
        reply: new TextDecoder().decode(raw.subarray(0, 200)),
      },
      'malformed command reply',
    );
    return new DomainError('BAD_GATEWAY', `${options.owner} sent a malformed reply`, undefined, { cause });
  };
  const read = readReply(raw);
  if ('problem' in read) throw malformed(read.problem);
  const { reply } = read;
  if (!reply.ok) throw new DomainError(reply.error.code, reply.error.message, reply.error.details);
  const mismatch = options.strict ? checkReply(decl, reply.data) : undefined;
  if (mismatch !== undefined) throw malformed(`the data does not match the response schema: ${mismatch}`);
  return reply.data;
}

/** Validates a reply against the declared response schema (used in tests and by cautious callers). */
export function checkReply<Res extends TSchemaLike>(
  decl: CommandDeclaration<TSchemaLike, Res>,
  value: unknown,
): string | undefined {
  const v = validator(decl.response);
  return v.check(value) ? undefined : describeErrors(v.errors(value));
}
