import pg from 'pg';
import type { Logger } from 'pino';
import { BACKLOG_ACCOUNT_ID, orchestratorBacklogCommands, type Principal } from '@reelforge/contracts';
import { sendCommand } from '@reelforge/messaging';
import { bootBenchStack } from './bench-stack.ts';
import type { BenchResult } from './result.ts';

/** Claims per measured run, per number of concurrent clients. */
const RUNS = [
  { clients: 100, claims: 2000 },
  { clients: 1000, claims: 3000 },
];

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

/** `claims` operations by `clients` concurrent closed-loop clients (client k does `op(k)` again and again). */
async function closedLoop(clients: number, claims: number, op: (client: number) => Promise<void>): Promise<{ rate: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let started = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      while (started++ < claims) {
        const s = performance.now();
        await op(k);
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { rate: claims / ((performance.now() - t) / 1000), p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/**
 * Instant claims (`POST /instant`: gateway → backlog-keeper → the orchestrator's one-transaction
 * claim → the repurposer's hand-over) at 100 and 1,000 concurrent clients, closed loop, each
 * client with its own account; the orchestrator's claim command alone (NATS request/reply); and
 * the physical limit on the same PostgreSQL in the same run: a bare `UPDATE … WHERE id = (SELECT …
 * FOR UPDATE SKIP LOCKED)` claim from a pool of the same size as the orchestrator's. The pool is
 * seeded with finished items (the pipeline that makes them is measured by the pipeline benchmark).
 */
export async function benchInstantClaim(natsUrl: string, databaseUrl: string, log: Logger): Promise<BenchResult[]> {
  // Waits are measured, not cut off: a claim may queue longer than the gateway's usual 5 s.
  const stack = await bootBenchStack({ prefix: 'claim', services: ['orchestrator', 'repurposer', 'backlog', 'gateway'], natsUrl, databaseUrl, log, env: { COMMAND_TIMEOUT: '120s' } });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  try {
    const base = stack.baseUrl;
    const orchestrator = `"${stack.token}_orchestrator"`;
    const call = async (bearer: string, path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const ops = await stack.bearer('claim-ops', ['operator']);
    // minBacklog 0: no maintenance competes with the claims.
    const recipe = (await call(ops, '/api/v1/recipes', { name: 'bench', kind: 'clips', sourcePool: { kind: 'library', tag: 'bench' }, creditCost: 1, minBacklog: 0 })) as { id: string };
    const clientsMax = Math.max(...RUNS.map((r) => r.clients));
    const tenants: { bearer: string; principal: Principal; accountId: string }[] = [];
    for (let k = 0; k < clientsMax; k++) {
      const bearer = await stack.bearer(`claimer-${k}`);
      const account = (await call(bearer, '/api/v1/accounts', { name: `claimer ${k}` })) as { id: string };
      await call(ops, `/api/v1/accounts/${account.id}/credits/grants`, { amount: 1_000_000 });
      tenants.push({ bearer, principal: { id: `claimer-${k}`, roles: [] }, accountId: account.id });
    }
    const seed = (n: number) =>
      db.query(
        `insert into ${orchestrator}.generations (id, account_id, content_type, status, total_requested, completed, recipe_id, backlog_form, finished_at)
         select gen_random_uuid(), $1, 'shorts', 'completed', 0, 0, $2, '{}'::jsonb, now() from generate_series(1, $3)`,
        [BACKLOG_ACCOUNT_ID, recipe.id, n],
      );
    await db.query(`create table if not exists bench_bare_claim (id bigserial primary key, owner int null)`);
    const settings = await db.query<{ name: string; setting: string }>(`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'max_connections')`);
    const notes = `closed loop, one account per client; PostgreSQL ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(' ')}`;
    // The orchestrator's pool size (MikroORM's default), for the bare peer.
    const bare = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    const m = stack.booted.gateway!.platform.messaging;
    const results: BenchResult[] = [];
    try {
      for (const run of RUNS) {
        // Warm up, then measure over HTTP.
        await seed(200);
        await closedLoop(50, 200, (k) => call(tenants[k]!.bearer, '/api/v1/instant', { recipeId: recipe.id, accountId: tenants[k]!.accountId }).then(() => undefined));
        await seed(run.claims);
        const http = await closedLoop(run.clients, run.claims, (k) => call(tenants[k]!.bearer, '/api/v1/instant', { recipeId: recipe.id, accountId: tenants[k]!.accountId }).then(() => undefined));
        await seed(run.claims);
        const command = await closedLoop(run.clients, run.claims, async (k) => {
          const t = tenants[k]!;
          await sendCommand(m, orchestratorBacklogCommands.claim, { principal: t.principal, accountId: t.accountId, recipeId: recipe.id, cost: 1, claimKey: crypto.randomUUID() }, { timeoutMs: 60_000, owner: 'content-orchestrator' });
        });
        await db.query(`truncate bench_bare_claim`);
        await db.query(`insert into bench_bare_claim (owner) select null from generate_series(1, $1)`, [run.claims]);
        const limit = await closedLoop(run.clients, run.claims, async (k) => {
          const { rowCount } = await bare.query(`update bench_bare_claim set owner = $1 where id = (select id from bench_bare_claim where owner is null order by id limit 1 for update skip locked) returning id`, [k]);
          if (rowCount !== 1) throw new Error('bare claim found no row');
        });
        const peer = `bare SKIP LOCKED claim, ${run.clients} clients, pool 10`;
        results.push(
          { name: `instant claim over HTTP, ${run.clients} clients`, unit: 'claims/s', ours: http.rate, baseline: limit.rate, baselineName: peer, higherIsBetter: true, notes },
          { name: `instant claim over HTTP p50, ${run.clients} clients`, unit: 'ms', ours: http.p50, baseline: limit.p50, baselineName: peer, higherIsBetter: false, decimals: 1, notes },
          { name: `instant claim over HTTP p99, ${run.clients} clients`, unit: 'ms', ours: http.p99, baseline: limit.p99, baselineName: peer, higherIsBetter: false, decimals: 1, notes },
          { name: `claim command (NATS) ${run.clients} clients`, unit: 'claims/s', ours: command.rate, baseline: limit.rate, baselineName: peer, higherIsBetter: true, notes },
          { name: `claim command (NATS) p99, ${run.clients} clients`, unit: 'ms', ours: command.p99, baseline: limit.p99, baselineName: peer, higherIsBetter: false, decimals: 1, notes },
        );
      }
    } finally {
      await bare.end();
    }
    await db.query(`drop table if exists bench_bare_claim`);
    return results;
  } finally {
    await db.end();
    await stack.stop();
  }
}
