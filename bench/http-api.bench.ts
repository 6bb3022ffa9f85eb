import Fastify from 'fastify';
import pg from 'pg';
import { spawnBenchStack } from './bench-processes.ts';
import { percentile } from './job-load.ts';
import type { BenchResult } from './result.ts';

const READS = 4000;
const READ_CONCURRENCY = 32;
/** Tasks to read, round robin: a cache of one id would flatter any read path. */
const ACCOUNTS = 20;
const SOURCES_PER_ACCOUNT = 10;
/** POST …/generations and the bare POST, each at this fixed arrival rate for START_SECONDS. */
const START_RATE = 200;
const START_SECONDS = 5;
const SETUP_IN_FLIGHT = 16;

/** Sends `n` requests, `concurrency` at a time (closed loop); returns requests/s and each latency (ms). */
async function closedLoop(
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
  return { rate: n / ((performance.now() - t) / 1000), latencies: latencies.sort((a, b) => a - b) };
}

/**
 * Sends request i at t0 + i/rate whatever the answers (open loop), and measures each latency from
 * its *scheduled* time, so a server that stalls cannot hide the queue it builds (no coordinated
 * omission). Returns the sorted latencies (ms), a refused request's (4xx/5xx, e.g. a 503 under
 * overload) to its refusal, and how many were refused: an overloaded server is a result, not a
 * broken run.
 */
async function openLoop(
  rate: number,
  seconds: number,
  send: (i: number) => Promise<Response>,
): Promise<{ latencies: number[]; refused: number }> {
  const n = rate * seconds;
  const latencies: number[] = [];
  let refused = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Within a millisecond of its time a request goes early (timers are that coarse): timed from
    // when it went then, so an early send cannot read as a negative latency.
    const from = Math.max(due, performance.now());
    pending.push(
      send(i).then(async (res) => {
        await res.arrayBuffer();
        if (res.status >= 400) refused++;
        latencies.push(performance.now() - from);
      }),
    );
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), refused };
}

async function inParallel(count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SETUP_IN_FLIGHT, count) }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i);
    }),
  );
}

/**
 * `GET /api/v1/tasks/:id` through the gateway (auth, validation, the owner's query by request/reply)
 * over 200 finished tasks, next to a bare Fastify route answering the same JSON per id; and
 * `POST …/generations` at 200 requests/s open loop next to a bare Fastify POST doing one PostgreSQL
 * insert at the same rate. The services run each in its own process, as deployed.
 */
export async function benchHttpApi(natsUrl: string, databaseUrl: string): Promise<BenchResult[]> {
  const stack = await spawnBenchStack({
    prefix: 'api',
    services: ['orchestrator', 'repurposer', 'gateway'],
    natsUrl,
    databaseUrl,
  });
  const bare = Fastify();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const bareTable = `"${stack.token}_bare".items`;
  try {
    const base = stack.baseUrl;
    const headers = { authorization: `Bearer ${await stack.bearer('bench-api')}`, 'content-type': 'application/json' };
    const post = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    // 200 finished tasks to read.
    const taskIds: string[] = [];
    await inParallel(ACCOUNTS, async (a) => {
      const account = await post<{ id: string }>('/api/v1/accounts', { name: `api bench ${a}` });
      for (let s = 0; s < SOURCES_PER_ACCOUNT; s++)
        await post(`/api/v1/accounts/${account.id}/sources`, { url: `https://videos.example.com/${a}/${s}.mp4` });
      const started = await post<{ generation: { taskIds: string[] } }>(`/api/v1/accounts/${account.id}/generations`, {
        type: 'warmup',
        count: SOURCES_PER_ACCOUNT,
      });
      taskIds.push(...started.generation.taskIds);
    });
    const views = new Map<string, unknown>();
    for (const id of taskIds) {
      // Polling is fine in a benchmark's setup (tests await events instead).
      for (;;) {
        const res = await fetch(`${base}/api/v1/tasks/${id}`, { headers });
        const view = (await res.json()) as { status?: string };
        if (res.status === 200 && view.status === 'completed') {
          views.set(id, view);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    bare.get<{ Params: { id: string } }>('/tasks/:id', async (req, reply) => {
      const view = views.get(req.params.id);
      return view ?? reply.code(404).send({ error: 'not found' });
    });
    await pool.query(`create schema if not exists "${stack.token}_bare"`);
    await pool.query(`create table ${bareTable} (id uuid primary key, body jsonb not null)`);
    bare.post<{ Body: unknown }>('/items', async (req, reply) => {
      await pool.query(`insert into ${bareTable} (id, body) values (gen_random_uuid(), $1)`, [
        JSON.stringify(req.body),
      ]);
      return reply.code(201).send({ ok: true });
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

    const idAt = (i: number) => taskIds[i % taskIds.length]!;
    const ours = await closedLoop(READS, READ_CONCURRENCY, (i) =>
      fetch(`${base}/api/v1/tasks/${idAt(i)}`, { headers }),
    );
    const baseline = await closedLoop(READS, READ_CONCURRENCY, (i) => fetch(`${bareUrl}/tasks/${idAt(i)}`));

    // Starts: one account with a source per start; each start its own type (one generation runs
    // per account and type at a time), so no start waits for another's lock.
    const starts = START_RATE * START_SECONDS;
    const account = await post<{ id: string }>('/api/v1/accounts', { name: 'api bench starts' });
    await inParallel(starts, (s) =>
      post(`/api/v1/accounts/${account.id}/sources`, { url: `https://videos.example.com/starts/${s}.mp4` }),
    );
    // The bare POSTs first: each of our starts leaves a task running for a while after its answer,
    // and those tasks must not share the machine with the baseline's requests.
    const bareStarts = await openLoop(START_RATE, START_SECONDS, (i) =>
      fetch(`${bareUrl}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: `t${i}`, count: 1 }),
      }),
    );
    const started = await openLoop(START_RATE, START_SECONDS, (i) =>
      fetch(`${base}/api/v1/accounts/${account.id}/generations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: `t${i}`, count: 1 }),
      }),
    );
    const readName = `GET /tasks/:id over ${taskIds.length} tasks`;
    const readBaseline = 'bare Fastify route, the same JSON per id';
    const refusedNote = (label: string, r: { refused: number }) =>
      r.refused ? `${label}: ${r.refused} of ${START_RATE * START_SECONDS} refused (counted to their refusal)` : '';
    const startNotes = [refusedNote('ours', started), refusedNote('baseline', bareStarts)].filter(Boolean).join('; ');
    const startName = `POST …/generations, open loop ${START_RATE}/s`;
    const startBaseline = `bare Fastify POST, one PostgreSQL insert, open loop ${START_RATE}/s`;
    return [
      {
        name: readName,
        unit: 'req/s',
        ours: ours.rate,
        baseline: baseline.rate,
        baselineName: readBaseline,
        higherIsBetter: true,
      },
      {
        name: `${readName} p99`,
        unit: 'ms',
        ours: percentile(ours.latencies, 99),
        baseline: percentile(baseline.latencies, 99),
        baselineName: readBaseline,
        higherIsBetter: false,
        decimals: 1,
      },
      {
        name: `${startName} p50`,
        unit: 'ms',
        ours: percentile(started.latencies, 50),
        baseline: percentile(bareStarts.latencies, 50),
        baselineName: startBaseline,
        higherIsBetter: false,
        decimals: 1,
        ...(startNotes ? { notes: startNotes } : {}),
      },
      {
        name: `${startName} p99`,
        unit: 'ms',
        ours: percentile(started.latencies, 99),
        baseline: percentile(bareStarts.latencies, 99),
        baselineName: startBaseline,
        higherIsBetter: false,
        decimals: 1,
        ...(startNotes ? { notes: startNotes } : {}),
      },
    ];
  } finally {
    await bare.close();
    await pool.query(`drop schema if exists "${stack.token}_bare" cascade`).catch(() => undefined);
    await pool.end();
    await stack.stop();
  }
}
