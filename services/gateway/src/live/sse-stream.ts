import type { FastifyReply, FastifyRequest } from 'fastify';
import { createCursorGate } from './cursor-gate.ts';
import { parseCursor, type Cursor, type StatusEvent } from './status-event.ts';
import type { SubscriptionRegistry } from './subscription-registry.ts';

export interface SseDeps {
  registry: SubscriptionRegistry;
  replay(accountId: string, since: Cursor, keep: (e: StatusEvent) => boolean): Promise<StatusEvent[]>;
  heartbeatMs: number;
  maxBufferedBytes: number;
}

/**
 * Streams status facts as Server-Sent Events: `id:` is the resume cursor, so a browser's
 * automatic reconnect (with `Last-Event-ID`) gets exactly what it missed from JetStream first.
 * Comment heartbeats keep proxies from closing an idle stream; a reader that falls behind by more
 * than the buffer limit is disconnected instead of buffered without bound.
 */
export async function streamStatus(req: FastifyRequest, reply: FastifyReply, deps: SseDeps, scope: { id: string; accountId: string; keep: (e: StatusEvent) => boolean }): Promise<void> {
  const lastEventId = req.headers['last-event-id'];
  const since = lastEventId === undefined ? undefined : parseCursor(lastEventId);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no', 'x-request-id': req.id });
  res.write('retry: 3000\n\n');
  const write = (chunk: string) => {
    if (res.writableLength > deps.maxBufferedBytes) {
      res.destroy();
      return;
    }
    res.write(chunk);
  };
  const gate = createCursorGate((event, cursor) => {
    if (!scope.keep(event)) return;
    write(`id: ${cursor}\nevent: ${String(event.message.type)}\ndata: ${JSON.stringify(event.message)}\n\n`);
  });
  const subscriber = { deliver: gate.deliver };
  deps.registry.add(scope.id, subscriber);
  const heartbeat = setInterval(() => write(': ping\n\n'), deps.heartbeatMs);
  const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
  void closed.then(() => {
    clearInterval(heartbeat);
    deps.registry.remove(scope.id, subscriber);
  });
  if (since) {
    gate.beginResume(since);
    try {
      gate.replayed(await deps.replay(scope.accountId, since, scope.keep));
    } finally {
      gate.endResume();
    }
  }
}
