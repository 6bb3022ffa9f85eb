import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { makeEnvelope, subjects, uuidv7 } from '@reelforge/contracts';
import { publishEvent } from '@reelforge/messaging';
import { bootBenchStack } from './bench-stack.ts';
import type { Logger } from 'pino';
import type { BenchResult } from './result.ts';

const CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 2000);
const EVENTS = 20;

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

/** Opens `n` sockets, `batch` at a time; `onOpen` sends the subscription. */
async function openClients(
  url: string,
  n: number,
  headers: Record<string, string>,
  onMessage: (data: string) => void,
  onOpen: (ws: WebSocket) => Promise<void>,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async () => {
        const ws = new WebSocket(url, { headers });
        ws.on('message', (d) => onMessage(d.toString()));
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        await onOpen(ws);
        sockets.push(ws);
      }),
    );
  }
  return sockets;
}

/**
 * WebSocket fan-out: CLIENTS sockets subscribed to one account on the gateway, EVENTS progress
 * events published to JetStream; measures deliveries/s and p99 publish→receive latency, next to a
 * bare `ws` server broadcasting the same payloads to the same number of sockets.
 */
export async function benchWsFanout(natsUrl: string, databaseUrl: string, log: Logger): Promise<BenchResult[]> {
  const stack = await bootBenchStack({
    prefix: 'ws',
    services: ['orchestrator', 'gateway'],
    natsUrl,
    databaseUrl,
    log,
  });
  const sockets: WebSocket[] = [];
  try {
    const gateway = stack.booted.gateway!;
    const bearer = await stack.bearer('bench-ws');
    const base = stack.baseUrl;
    const account = (await (
      await fetch(`${base}/api/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ws bench' }),
      })
    ).json()) as { id: string };

    // Gateway side.
    const latencies: number[] = [];
    let received = 0;
    let allIn!: () => void;
    const done = new Promise<void>((r) => (allIn = r));
    const onMessage = (data: string) => {
      const m = JSON.parse(data) as { type: string; message?: string };
      if (m.type !== 'job_progress' || !m.message) return;
      latencies.push(performance.now() - Number(m.message));
      if (++received === CLIENTS * EVENTS) allIn();
    };
    sockets.push(
      ...(await openClients(
        `${base.replace('http', 'ws')}/api/v1/ws`,
        CLIENTS,
        { authorization: `Bearer ${bearer}` },
        onMessage,
        async (ws) => {
          await new Promise<void>((resolve) => {
            const onSub = (d: WebSocket.RawData) => {
              if ((JSON.parse(d.toString()) as { type: string }).type === 'subscribed') {
                ws.off('message', onSub);
                resolve();
              }
            };
            ws.on('message', onSub);
            ws.send(JSON.stringify({ subscribe_account: account.id }));
          });
        },
      )),
    );
    const m = gateway.platform.messaging;
    const t0 = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const event = makeEnvelope('task.progress.v1', 'bench', account.id, {
        taskId: uuidv7(),
        generationId: null,
        stage: 'rendering',
        percent: i,
        message: String(performance.now()),
        etaSeconds: null,
      });
      await publishEvent(m, subjects.taskProgress(account.id), event);
    }
    await done;
    const oursRate = received / ((performance.now() - t0) / 1000);
    const oursP99 = p99(latencies);
    for (const s of sockets.splice(0)) s.terminate();

    // Bare ws server: the same payload shape, broadcast to the same number of sockets.
    const server = createServer();
    const wss = new WebSocketServer({ server });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rawLatencies: number[] = [];
    let rawReceived = 0;
    let rawAllIn!: () => void;
    const rawDone = new Promise<void>((r) => (rawAllIn = r));
    sockets.push(
      ...(await openClients(
        url,
        CLIENTS,
        {},
        (data) => {
          const msg = JSON.parse(data) as { message: string };
          rawLatencies.push(performance.now() - Number(msg.message));
          if (++rawReceived === CLIENTS * EVENTS) rawAllIn();
        },
        async () => undefined,
      )),
    );
    const t1 = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const payload = JSON.stringify({
        type: 'job_progress',
        job_id: uuidv7(),
        generation_id: null,
        stage: 'rendering',
        progress: i,
        message: String(performance.now()),
        eta_seconds: null,
        seq: i,
      });
      for (const c of wss.clients) c.send(payload);
      await new Promise((r) => setImmediate(r));
    }
    await rawDone;
    const rawRate = rawReceived / ((performance.now() - t1) / 1000);
    const rawP99 = p99(rawLatencies);
    for (const s of sockets.splice(0)) s.terminate();
    wss.close();
    server.close();
    return [
      {
        name: `ws fan-out, ${CLIENTS} clients × ${EVENTS} events`,
        unit: 'msg/s',
        ours: oursRate,
        baseline: rawRate,
        baselineName: 'bare ws server broadcast',
        higherIsBetter: true,
      },
      {
        name: `ws fan-out p99 publish→receive`,
        unit: 'ms',
        ours: oursP99,
        baseline: rawP99,
        baselineName: 'bare ws server broadcast',
        higherIsBetter: false,
        decimals: 1,
      },
    ];
  } finally {
    for (const s of sockets) s.terminate();
    await stack.stop();
  }
}
