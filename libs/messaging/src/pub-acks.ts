import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';

/** A publish JetStream did not confirm: refused (its reason), no stream for the subject, or no answer in time. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

export interface PubAckPublisher {
  /** Publishes to a stream's subject and resolves with the server's PubAck (stored, or a duplicate of `msgID`). */
  publish(subject: string, payload: string, options: { msgID: string; headers: MsgHdrs }): Promise<PubAck>;
}

interface Pending {
  subject: string;
  deadline: number;
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
}

interface PubAckReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  domain?: string;
  error?: { code?: number; err_code?: number; description?: string };
}

/**
 * JetStream publishes that await their PubAck through one reply subscription per connection (a
 * wildcard inbox, one token per publish) and one timer for all of them. nats.js's `js.publish`
 * makes every publish a request: a subscription entry, a timer, and an Error built for its stack
 * each time a request is settled (its "cancelled" rejection of an already resolved promise); that
 * machinery was two thirds of a publish's CPU in the client (docs/benchmarks.md, session 16).
 * Same wire protocol as nats.js: the message with a reply subject, `Nats-Msg-Id` for the server's
 * de-duplication, and the PubAck (or the API error, or a 503 status when no stream takes the
 * subject) as the reply.
 */
export function pubAckPublisher(nc: NatsConnection, options: { timeoutMs?: number } = {}): PubAckPublisher {
  const timeoutMs = options.timeoutMs ?? 5000;
  // The same `_INBOX.` prefix nats.js's own requests use (our connections keep the default).
  const prefix = createInbox();
  const pending = new Map<string, Pending>();
  let next = 0;

  const settle = (token: string, outcome: PubAck | Error) => {
    const p = pending.get(token);
    if (!p) return; // answered after its timeout
    pending.delete(token);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  };

  nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err) {
        failAll(new PublishError(`PubAck subscription failed: ${err.message}`));
        return;
      }
      const token = msg.subject.slice(prefix.length + 1);
      settle(token, readPubAck(msg, pending.get(token)));
    },
  });
  // Tokens are issued in order with the same timeout, so the oldest pending publish expires first.
  const sweeper = setInterval(
    () => {
      const now = performance.now();
      for (const [token, p] of pending) {
        if (p.deadline > now) break;
        settle(token, new PublishError(`no PubAck for ${p.subject} within ${timeoutMs} ms`));
      }
    },
    Math.max(10, Math.min(1000, timeoutMs / 4)),
  );
  sweeper.unref();
  void nc.closed().then(() => {
    clearInterval(sweeper);
    failAll(new PublishError('connection closed before the PubAck'));
  });

  function failAll(err: Error): void {
    for (const token of [...pending.keys()]) settle(token, err);
  }

  return {
    publish: (subject, payload, { msgID, headers }) =>
      new Promise<PubAck>((resolve, reject) => {
        const token = (next++).toString(36);
        headers.set('Nats-Msg-Id', msgID);
        // Throws when the connection is closed or draining: the caller's promise rejects with it.
        nc.publish(subject, payload, { reply: `${prefix}.${token}`, headers });
        pending.set(token, { subject, deadline: performance.now() + timeoutMs, resolve, reject });
      }),
  };
}

/** The PubAck in `msg`, or why there is none. */
function readPubAck(msg: Msg, p: Pending | undefined): PubAck | Error {
  const subject = p?.subject ?? '?';
  if (msg.headers?.code === 503) return new PublishError(`no stream takes ${subject} (no responders)`);
  let reply: PubAckReply;
  try {
    reply = msg.json<PubAckReply>();
  } catch {
    return new PublishError(`unreadable PubAck for ${subject}`);
  }
  if (reply.error)
    return new PublishError(
      `JetStream refused the publish to ${subject}: ${reply.error.description ?? 'no reason given'} (${reply.error.err_code ?? reply.error.code ?? '?'})`,
    );
  if (typeof reply.stream !== 'string' || typeof reply.seq !== 'number')
    return new PublishError(`not a PubAck for ${subject}`);
  return {
    stream: reply.stream,
    seq: reply.seq,
    duplicate: reply.duplicate === true,
    ...(reply.domain ? { domain: reply.domain } : {}),
  };
}
