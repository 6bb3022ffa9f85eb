import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { headers, RequestError, TimeoutError, type Subscription } from '@nats-io/transport-node';
import { DomainError, describeErrors, isErrorCode, validator, type CommandDeclaration, type ErrorBody, type TSchemaLike } from '@reelforge/contracts';
import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Messaging } from './context.ts';
import { extractTraceContext, injectTraceContext } from './trace-headers.ts';

/** The reply on the wire: errors cross as data (code + message), never as stacks (STYLE §6). */
type Reply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export type CommandHandler<Req extends TSchemaLike, Res extends TSchemaLike> = (request: Static<Req>) => Promise<Static<Res>>;

/**
 * Serves one command on its subject in the service's queue group (one instance answers each
 * request). DomainErrors travel back as their code; anything else is logged here and answered as
 * INTERNAL without details.
 */
export function serveCommand<Req extends TSchemaLike, Res extends TSchemaLike>(
  m: Messaging,
  decl: CommandDeclaration<Req, Res>,
  handler: CommandHandler<Req, Res>,
  deps: { log: Logger; tracer: Tracer },
): Subscription {
  const check = validator(decl.request);
  return m.nc.subscribe(m.subject(decl.subject), {
    queue: m.service,
    callback: (err, msg) => {
      if (err) return deps.log.error({ err: err.message, subject: decl.subject }, 'command subscription failed');
      const parent = extractTraceContext(msg.headers);
      const span = deps.tracer.startSpan(`handle ${decl.subject}`, { kind: SpanKind.SERVER }, parent);
      const respond = (reply: Reply<unknown>) => {
        if (!reply.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: reply.error.code });
        span.end();
        msg.respond(JSON.stringify(reply));
      };
      void context.with(trace.setSpan(parent, span), async () => {
        let request: unknown;
        try {
          request = JSON.parse(new TextDecoder().decode(msg.data));
        } catch {
          return respond({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'request is not JSON' } });
        }
        if (!check.check(request)) {
          return respond({ ok: false, error: { code: 'VALIDATION_FAILED', message: describeErrors(check.errors(request)) } });
        }
        try {
          respond({ ok: true, data: await handler(request) });
        } catch (e) {
          if (e instanceof DomainError) return respond({ ok: false, error: e.toBody() });
          deps.log.error({ err: e, subject: decl.subject }, 'command failed');
          respond({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
        }
      });
    },
  });
}

/**
 * Sends a command and waits for the answer. No responder → SERVICE_UNAVAILABLE at once; no answer
 * in time → SERVICE_UNAVAILABLE after `timeoutMs`; an error answer → a DomainError with its code.
 */
export async function sendCommand<Req extends TSchemaLike, Res extends TSchemaLike>(
  m: Messaging,
  decl: CommandDeclaration<Req, Res>,
  request: Static<Req>,
  options: { timeoutMs: number; owner: string },
): Promise<Static<Res>> {
  const h = headers();
  injectTraceContext(h);
  let raw: Uint8Array;
  try {
    const msg = await m.nc.request(m.subject(decl.subject), JSON.stringify(request), { timeout: options.timeoutMs, headers: h });
    raw = msg.data;
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders()) {
      throw new DomainError('SERVICE_UNAVAILABLE', `${options.owner} is not available`, undefined, { cause: err });
    }
    if (err instanceof TimeoutError || (err instanceof Error && err.cause instanceof TimeoutError)) {
      throw new DomainError('SERVICE_UNAVAILABLE', `${options.owner} did not answer within ${options.timeoutMs} ms`, undefined, { cause: err });
    }
    throw new DomainError('SERVICE_UNAVAILABLE', `${options.owner} could not be reached`, undefined, { cause: err });
  }
  const reply = JSON.parse(new TextDecoder().decode(raw)) as Reply<Static<Res>>;
  if (reply.ok) return reply.data;
  const code = isErrorCode(reply.error.code) ? reply.error.code : 'INTERNAL';
  throw new DomainError(code, reply.error.message, reply.error.details);
}

/** Validates a reply against the declared response schema (used in tests and by cautious callers). */
export function checkReply<Res extends TSchemaLike>(decl: CommandDeclaration<TSchemaLike, Res>, value: unknown): string | undefined {
  const v = validator(decl.response);
  return v.check(value) ? undefined : describeErrors(v.errors(value));
}
