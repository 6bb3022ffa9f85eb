import Fastify from 'fastify';
import { bootBenchStack } from './bench-stack.ts';
import type { Logger } from 'pino';
import type { BenchResult } from './result.ts';

const REQUESTS = 3000;
const CONCURRENCY = 32;

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

/** Sends `n` requests, `concurrency` at a time; returns requests/s and each latency (ms). */
async function load(
  n: number,
  concurrency: number,
  send: (i: number) => Promise<Response>,
): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const s = performance.now();
        const res = await send(i);
        await res.arrayBuffer();
        if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { rate: n / ((performance.now() - t) / 1000), latencies };
}

/**
 * `GET /api/v1/tasks/:id` through the gateway (auth, validation, two request/replies to the owners)
 * next to a bare Fastify route answering the same JSON; and the p99 of starting a generation.
 */
export async function benchHttpApi(natsUrl: string, databaseUrl: string, log: Logger): Promise<BenchResult[]> {
  const stack = await bootBenchStack({
    prefix: 'api',
    services: ['orchestrator', 'repurposer', 'gateway'],
    natsUrl,
    databaseUrl,
    log,
  });
  const bare = Fastify();
  try {
    const base = stack.baseUrl;
    const headers = { authorization: `Bearer ${await stack.bearer('bench-api')}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) =>
      (await (await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Record<
        string,
        unknown
      >;

    // One finished task to read.
    const account = (await post('/api/v1/accounts', { name: 'api bench' })) as { id: string };
    await post(`/api/v1/accounts/${account.id}/sources`, { url: 'https://videos.example.com/a.mp4' });
    const started = (await post(`/api/v1/accounts/${account.id}/generations`, { type: 'warmup' })) as {
      generation: { taskIds: string[] };
    };
    const taskId = started.generation.taskIds[0]!;
    let view: unknown;
    for (;;) {
      const res = await fetch(`${base}/api/v1/tasks/${taskId}`, { headers });
      view = await res.json();
      if (res.status === 200 && (view as { status: string }).status === 'completed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    bare.get('/tasks/:id', async () => view);
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

    const ours = await load(REQUESTS, CONCURRENCY, () => fetch(`${base}/api/v1/tasks/${taskId}`, { headers }));
    const baseline = await load(REQUESTS, CONCURRENCY, () => fetch(`${bareUrl}/tasks/${taskId}`));

    // p99 of POST …/generations: one account per request (the lock allows one running per type).
    const accounts: string[] = [];
    for (let i = 0; i < 200; i++) {
      const a = (await post('/api/v1/accounts', { name: `p99 ${i}` })) as { id: string };
      await post(`/api/v1/accounts/${a.id}/sources`, { url: 'https://videos.example.com/b.mp4' });
      accounts.push(a.id);
    }
    const starts = await load(accounts.length, 8, (i) =>
      fetch(`${base}/api/v1/accounts/${accounts[i]}/generations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'shorts' }),
      }),
    );
    const bareGet = await load(accounts.length, 8, () => fetch(`${bareUrl}/tasks/x`));
    return [
      {
        name: 'GET /tasks/:id (auth + task query; account ids cached)',
        unit: 'req/s',
        ours: ours.rate,
        baseline: baseline.rate,
        baselineName: 'bare Fastify route, same JSON',
        higherIsBetter: true,
      },
      {
        name: 'GET /tasks/:id p99',
        unit: 'ms',
        ours: p99(ours.latencies),
        baseline: p99(baseline.latencies),
        baselineName: 'bare Fastify route, same JSON',
        higherIsBetter: false,
        decimals: 1,
      },
      {
        name: 'POST …/generations p99 (8 concurrent)',
        unit: 'ms',
        ours: p99(starts.latencies),
        baseline: p99(bareGet.latencies),
        baselineName: 'bare Fastify route',
        higherIsBetter: false,
        decimals: 1,
      },
    ];
  } finally {
    await bare.close();
    await stack.stop();
  }
}
