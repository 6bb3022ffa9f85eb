import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { spawnBenchStack } from './bench-processes.ts';
import type { BenchResult } from './result.ts';
import { cpuByGroup, cpuSpent } from './process-cpu.ts';
import { countStatements } from './statement-counts.ts';

const ACCOUNTS = Number(process.env.BENCH_CP_ACCOUNTS ?? 20);
const SOURCES_PER_ACCOUNT = 10;

/**
 * Tasks per second through the whole control plane (HTTP start → orchestrator → outbox → render
 * job → repurposer with a no-op render stage → task events → counters → generation closed), next
 * to a raw JetStream publish-then-consume of the same number of messages measured in this run.
 */
export async function benchControlPlane(
  nc: NatsConnection,
  natsUrl: string,
  databaseUrl: string,
  say: (line: string) => void = () => undefined,
): Promise<BenchResult[]> {
  // As deployed: each service its own process (a shared event loop would be the bottleneck).
  const stack = await spawnBenchStack({
    prefix: 'cp',
    services: ['orchestrator', 'repurposer', 'gateway'],
    natsUrl,
    databaseUrl,
    env: { TASK_WORKER_COUNT: '16' },
  });
  const token = stack.token;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const query = async <T>(sql: string) => (await db.query(sql)).rows as T[];
  try {
    const base = stack.baseUrl;
    const headers = { authorization: `Bearer ${await stack.bearer('bench')}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return res.json() as Promise<{ id: string }>;
    };
    const accounts: string[] = [];
    for (let a = 0; a < ACCOUNTS; a++) {
      const { id } = await post('/api/v1/accounts', { name: `bench ${a}` });
      for (let s = 0; s < SOURCES_PER_ACCOUNT; s++)
        await post(`/api/v1/accounts/${id}/sources`, { url: `https://videos.example.com/${a}/${s}.mp4` });
      accounts.push(id);
    }
    const total = ACCOUNTS * SOURCES_PER_ACCOUNT;
    const schema = `"${token}_orchestrator"`;
    const poll = `select count(*) as n from ${schema}.generations where status = 'completed'`;
    const counted = await countStatements(query, token, 'select count(*) as n from');
    const cpuBefore = await cpuByGroup(stack.pids);
    const started = performance.now();
    await Promise.all(
      accounts.map((id) => post(`/api/v1/accounts/${id}/generations`, { type: 'shorts', count: SOURCES_PER_ACCOUNT })),
    );
    // Polling a table is fine in a benchmark (tests await events instead).
    for (;;) {
      const [row] = await query<{ n: string }>(poll);
      if (Number(row?.n) === ACCOUNTS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ours = total / ((performance.now() - started) / 1000);
    // CPU per task by process: steadier than the rate on a shared machine, and what the redesign's
    // budget (≤ 1 ms a task over every process, docs/architecture.md) is stated in.
    const use = Object.entries(cpuSpent(cpuBefore, await cpuByGroup(stack.pids)));
    const cpuTotal = use.reduce((sum, [, u]) => sum + (u.cpuSeconds * 1000) / total, 0);
    const cpuLine = `${use.map(([k, u]) => `${k} ${((u.cpuSeconds * 1000) / total).toFixed(2)}`).join(', ')}; total ${cpuTotal.toFixed(2)} ms`;
    say(`control plane CPU per task (ms, during the run; postgres and nats-server: all such processes): ${cpuLine}`);
    // Write syscalls (socket writes mostly: a quarter to a third of the services' CPU in profiles).
    const writesLine = use.map(([k, u]) => `${k} ${(u.writes / total).toFixed(1)}`).join(', ');
    say(`control plane write syscalls per task: ${writesLine}`);
    const perTask = await counted?.(total);
    if (perTask) {
      say(
        `control plane: ${perTask.statementsPerTask.toFixed(1)} SQL statements and ${perTask.commitsPerTask.toFixed(1)} commits per task; PostgreSQL planned them for ${perTask.planMsPerTask.toFixed(2)} ms and executed them for ${perTask.execMsPerTask.toFixed(2)} ms per task; the most frequent:`,
      );
      for (const t of perTask.top)
        say(`  ${t.perTask.toFixed(2)} × (planned ${t.planMs.toFixed(2)} ms a call) ${t.statement}`);
      say('control plane: the statements PostgreSQL spent the most time executing (lock waits included):');
      for (const t of perTask.costliest)
        say(`  ${t.execMsPerTask.toFixed(3)} ms a task (${t.perTask.toFixed(2)} × a task) ${t.statement}`);
    }
    if (process.env.BENCH_DEBUG) {
      const rs = `"${token}_repurposer"`;
      const q = query;
      console.log(
        JSON.stringify({
          gen: await q(`select min(created_at) a, max(finished_at) b from ${schema}.generations`),
          tasks: await q(`select min(created_at) a, max(created_at) c, max(finished_at) b from ${rs}.tasks`),
          folds: await q(`select max(updated_at) b from ${schema}.generation_tasks`),
        }),
      );
    }

    // Baseline: the same number of messages published to JetStream and consumed with acks, raw.
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const stream = `${token.toUpperCase()}_RAW`;
    await jsm.streams.add({ name: stream, subjects: [`${token}.raw.>`] });
    await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
    const t = performance.now();
    for (let i = 0; i < total; i += 64)
      await Promise.all(
        Array.from({ length: Math.min(64, total - i) }, (_, k) =>
          js.publish(`${token}.raw.x`, JSON.stringify({ n: i + k, pad: 'x'.repeat(400) })),
        ),
      );
    const messages = await (await js.consumers.get(stream, 'raw')).consume({ max_messages: 256 });
    let seen = 0;
    for await (const m of messages) {
      m.ack();
      if (++seen === total) break;
    }
    const raw = total / ((performance.now() - t) / 1000);
    await jsm.streams.delete(stream);
    return [
      {
        name: `control plane, ${total} tasks (no-op render)`,
        unit: 'tasks/s',
        ours,
        baseline: raw,
        baselineName: 'raw JetStream publish+consume',
        higherIsBetter: true,
        notes:
          `CPU per task (ms): ${cpuLine}; write syscalls per task: ${writesLine}; ` +
          (perTask
            ? `measured: ${perTask.statementsPerTask.toFixed(1)} SQL statements (begin/commit included) and ${perTask.commitsPerTask.toFixed(1)} commits per task, planned for ${perTask.planMsPerTask.toFixed(2)} ms and executed for ${perTask.execMsPerTask.toFixed(2)} ms per task (pg_stat_statements); `
            : '') +
          'per task: start tx + outbox, render job, task row + attempt + 2 status events via outbox, 2 progress events ' +
          "(the no-op render's one and the 'completed' stage's, each with a stage update), 2 folds (inbox + recount), " +
          'generation events; the settings field of the results file says how durable the servers were',
      },
    ];
  } finally {
    await db.end();
    await stack.stop();
  }
}
