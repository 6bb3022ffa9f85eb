import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP endpoint for webhook tests. `answer` decides each response's status (it can change
 * during a test); `next()` resolves with the next call that arrives, so tests await deliveries
 * instead of sleeping.
 */
export async function startWebhookReceiver(answer: (call: ReceivedCall, index: number) => number = () => 200) {
  const calls: ReceivedCall[] = [];
  const waiters: ((call: ReceivedCall) => void)[] = [];
  let respond = answer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      calls.push(call);
      const status = respond(call, calls.length - 1);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'receiver is down' : 'ok');
      waiters.shift()?.(call);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let seen = 0;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    calls,
    /** The next call not yet returned by `next` (one already received, or the next to arrive). */
    next(): Promise<ReceivedCall> {
      const index = seen++;
      if (index < calls.length) return Promise.resolve(calls[index]!);
      return new Promise((resolve) => waiters.push(resolve));
    },
    answerWith(next: (call: ReceivedCall, index: number) => number) {
      respond = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
