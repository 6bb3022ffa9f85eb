import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@reelforge/contracts';
import { createCursorGate } from './cursor-gate.ts';
import { parseCursor, type Cursor, type StatusEvent } from './status-event.ts';
import type { SubscriptionRegistry } from './subscription-registry.ts';

export interface SseDeps {
  registry: SubscriptionRegistry;
  replay(accountId: string, since: Cursor, keep: (e: StatusEvent) => boolean): Promise<StatusEvent[]>;
  heartbeatMs: number;
  maxBufferedBytes: number;
}

export interface StreamScope {
  /** The id registered in the fan-out index (a task or an account id). */
  id: string;
  accountId: string;
  keep: (e: StatusEvent) => boolean;
  /** The current state, sent before any live fact (task streams). Read after registering, so a change in between is not lost. */
  snapshot?: () => Promise<Record<string, unknown>>;
  /** Whether a message is the last there will be (a task's terminal status): it is sent, then the stream ends. */
  isLast?: (message: Record<string, unknown>) => boolean;
  /** Another system's event names and bodies for a message (compat surfaces); default: `event: <type>`, the message. */
  dialect?: (message: Record<string, unknown>) => { event: string; data: Record<string, unknown> }[];
}

/**
 * Streams status facts as Server-Sent Events: `id:` is the resume cursor, so a browser's
 * automatic reconnect (with `Last-Event-ID`) gets exactly what it missed from JetStream first,
 * then the current state (when the scope has one), then live facts; the stream ends after the last
 * fact there will be. The caller has authorised the scope already: nothing is sent before that.
 * Comment heartbeats keep proxies from closing an idle stream; a reader that falls behind by more
 * than the buffer limit is disconnected instead of buffered without bound.
 */
export async function streamStatus(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: SseDeps,
  scope: StreamScope,
): Promise<void> {
  const lastEventId = req.headers['last-event-id'];
  const since = lastEventId === undefined ? undefined : parseCursor(lastEventId);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': req.id,
  });
  res.write('retry: 3000\n\n');
  let ended = false;
  const write = (chunk: string) => {
    if (ended) return;
    if (res.writableLength > deps.maxBufferedBytes) {
      res.destroy();
      return;
    }
    res.write(chunk);
  };
  const send = (message: Record<string, unknown>, cursor?: string) => {
    const events = scope.dialect ? scope.dialect(message) : [{ event: String(message.type), data: message }];
    for (const e of events)
      write(`${cursor === undefined ? '' : `id: ${cursor}\n`}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
    if (ended || !scope.isLast?.(message)) return;
    ended = true;
    res.end();
  };
  const gate = createCursorGate((event, cursor) => {
    if (scope.keep(event)) send(event.message, cursor);
  });
  const subscriber = { deliver: gate.deliver };
  deps.registry.add(scope.id, subscriber);
  const heartbeat = setInterval(() => write(': ping\n\n'), deps.heartbeatMs);
  const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
  void closed.then(() => {
    clearInterval(heartbeat);
    deps.registry.remove(scope.id, subscriber);
  });
  // Live facts are held while the missed ones and the snapshot are read, so none overtakes them
  // (a resume from position 0 only holds: the gate's cursor stays where it is).
  gate.beginResume(since ?? { TASKS: 0, CONTENT: 0 });
  try {
    if (since) gate.replayed(await deps.replay(scope.accountId, since, scope.keep));
    // The snapshot carries no `id:` (it is no stored fact): a reconnect resumes from the last one that did.
    if (scope.snapshot && !ended) send(await scope.snapshot());
  } catch (err) {
    // Authorised, but the replay or the snapshot could not be read: say so; the live stream stays.
    const e = err instanceof DomainError ? err : new DomainError('INTERNAL', 'could not read the current state');
    write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { code: e.code, message: e.message } })}\n\n`);
  } finally {
    gate.endResume();
  }
}
