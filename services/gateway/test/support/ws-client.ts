import WebSocket from 'ws';

export type WsMessage = Record<string, unknown> & { type: string; seq: number };

/** A test WebSocket client that records every message and awaits the first matching one. */
export async function openWs(
  url: string,
  bearer: string | undefined,
  query = '',
  /** Another socket path (a compat surface's), extra upgrade headers (an Origin). */
  options: { path?: string; headers?: Record<string, string> } = {},
): Promise<{
  messages: WsMessage[];
  send(m: unknown): void;
  waitFor(what: string, pred: (m: WsMessage) => boolean, timeoutMs?: number): Promise<WsMessage>;
  close(): void;
  closed: Promise<number>;
  /** Stops reading the socket (a slow client: the server's writes back up), and reads again. */
  pause(): void;
  resume(): void;
}> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${options.path ?? '/api/v1/ws'}${query}`, {
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...options.headers },
  });
  const messages: WsMessage[] = [];
  const waiters: { pred: (m: WsMessage) => boolean; resolve: (m: WsMessage) => void }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as WsMessage;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused: HTTP ${res.statusCode}`)));
  });
  return {
    messages,
    closed,
    send: (m) => ws.send(JSON.stringify(m)),
    close: () => ws.close(),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    waitFor(what, pred, timeoutMs = 45_000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no websocket message "${what}" within ${timeoutMs} ms; got: ${JSON.stringify(messages.map((x) => [x.type, (x.status as { status?: string })?.status]))}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
  };
}
