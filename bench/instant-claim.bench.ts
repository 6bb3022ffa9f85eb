import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import type { Logger } from 'pino';
import { BACKLOG_ACCOUNT_ID, orchestratorBacklogCommands, type Principal } from '@reelforge/contracts';
import { createMessaging, namespaceFrom, sendCommand } from '@reelforge/messaging';
import { bootBenchStack } from './bench-stack.ts';
import type { BenchResult } from './result.ts';

/** Successful claims per measured run (`BENCH_CLAIMS`, default 4,000): several thousand, so p99 means something. */
const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 4000);
/**
 * The measured levels: concurrent clients, successful claims and empty-pool claims (clean 404s) per
 * run. 100 and 1,000 are the issue's; one client, unloaded, gives the time of a claim itself.
 */
const LEVELS = [
  { clients: 1, claims: Math.min(CLAIMS, 500), empty: 0 },
  { clients: 100, claims: CLAIMS, empty: Math.max(1000, Math.floor(CLAIMS / 2)) },
  { clients: 1000, claims: CLAIMS, empty: Math.max(1000, Math.floor(CLAIMS / 2)) },
];
/** The services' pools (MikroORM's `max: 10` in libs/persistence), and so the bare peer's. */
const POOL = 10;
/** The keeper's default BACKLOG_ITEM_MAX_AGE: the command is sent as the keeper sends it. */
const ITEM_MAX_AGE_MS = 7 * 24 * 3600_000;

interface Figures {
  rate: number;
  seconds: number;
  p50: number;
  p95: number;
  p99: number;
}

interface Cost {
  /** CPU per claim, ms: this Node process (every service, and the bench's own clients), PostgreSQL, nats-server. */
  node: number;
  postgres?: number;
  nats?: number;
  /** PostgreSQL transactions that wrote (took a transaction id) per claim, every service's included. */
  writes: number;
  /** How busy this process's event loop (every service's JavaScript, and the bench's clients) was over the run and its tail, 0–1. */
  loop: number;
  /** How long the asynchronous tail (outbox relays, consumers) ran on after the last answer, ms. */
  tailMs: number;
}

interface Run extends Figures {
  /** Claims per second counting the tail: what the services sustain, not only what they answer. */
  sustained: number;
  cost: Cost;
}

const costLine = (c: Cost) =>
  `${[`node ${c.node.toFixed(2)}`, c.postgres === undefined ? '' : `postgres ${c.postgres.toFixed(2)}`, c.nats === undefined ? '' : `nats ${c.nats.toFixed(2)}`].filter(Boolean).join(' + ')} ms CPU, ` +
  `${c.writes.toFixed(1)} writing PostgreSQL transactions; event loop ${(c.loop * 100).toFixed(0)} % busy; tail ${(c.tailMs / 1000).toFixed(1)} s`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** `total` operations by `clients` concurrent closed-loop clients (client k does `op(k)`, then again, until `total` are started). */
async function closedLoop(clients: number, total: number, op: (client: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let started = 0;
  let failed = false;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      while (!failed && started++ < total) {
        const s = performance.now();
        try {
          await op(k);
        } catch (err) {
          failed = true;
          throw err;
        }
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: total / seconds,
    seconds,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
  };
}

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

/**
 * CPU ms so far of this process's children (the nats-server and PostgreSQL that `npm run bench`
 * started), by command name: each child with its live descendants and the ones it reaped. Empty
 * where /proc is not there, or when NATS_URL / DATABASE_URL point elsewhere.
 */
function childCpu(): Map<string, number> {
  const byName = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return byName;
  }
  const procs = new Map<number, { ppid: number; comm: string; own: number; reaped: number }>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(e), {
        ppid: Number(f[1]),
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        own: (Number(f[11]) + Number(f[12])) * TICK_MS,
        reaped: (Number(f[13]) + Number(f[14])) * TICK_MS,
      });
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = (pid: number): number => {
    const p = procs.get(pid)!;
    let sum = p.own + p.reaped;
    for (const [child, c] of procs) if (c.ppid === pid) sum += tree(child);
    return sum;
  };
  for (const [pid, p] of procs) if (p.ppid === process.pid) byName.set(p.comm, (byName.get(p.comm) ?? 0) + tree(pid));
  return byName;
}

/**
 * Instant claims (`POST /instant`: gateway → backlog-keeper → the orchestrator's one-transaction
 * claim → the repurposer's hand-over) at 1 (unloaded), 100 and 1,000 concurrent clients, closed
 * loop, each client with its own account; the orchestrator's claim command alone (NATS
 * request/reply from the bench's own connection); the empty-pool answer (404) both ways; and the
 * physical limit on the same PostgreSQL in the same run: a bare `UPDATE … WHERE id = (SELECT … FOR
 * UPDATE SKIP LOCKED)` claim from a pool of the services' size, over a table with the same kind of
 * partial index on its free rows as the orchestrator's ready items have. The pool is seeded with
 * finished items as the e2e test seeds it (no tasks or clips, so the hand-over moves no row; the
 * pipeline that makes items is measured by the pipeline benchmark) and never runs dry during a
 * successful run. After each run the asynchronous tail (relays, consumers) is waited for, so the
 * next run does not pay for it; each claim's CPU (this process, PostgreSQL, nats-server), writing
 * transactions and the event loop's load, tail included, are printed with the figures.
 */
export async function benchInstantClaim(
  nc: NatsConnection,
  natsUrl: string,
  databaseUrl: string,
  log: Logger,
  say: (line: string) => void,
): Promise<BenchResult[]> {
  // Waits are measured, not cut off: a claim may queue longer than the gateway's usual 5 s.
  const stack = await bootBenchStack({
    prefix: 'claim',
    services: ['orchestrator', 'repurposer', 'backlog', 'gateway'],
    natsUrl,
    databaseUrl,
    log,
    env: { COMMAND_TIMEOUT: '120s' },
  });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // Connections kept open between runs, as the busy services' are (a new one costs a SCRAM handshake).
  const bare = new pg.Pool({ connectionString: databaseUrl, max: POOL, idleTimeoutMillis: 0 });
  try {
    const base = stack.baseUrl;
    const orchestrator = `"${stack.token}_orchestrator"`;
    const m = await createMessaging(nc, 'bench', namespaceFrom(stack.token));
    const post = (bearer: string, path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const call = async (bearer: string, path: string, body: unknown) => {
      const res = await post(bearer, path, body);
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const ops = await stack.bearer('claim-ops', ['operator']);
    // minBacklog 0: nothing is produced while claiming (the maintenance pass each claim asks for still
    // runs, as it does in production). The second recipe never has an item.
    const recipe = (await call(ops, '/api/v1/recipes', {
      name: 'bench',
      kind: 'clips',
      sourcePool: { kind: 'library', tag: 'bench' },
      creditCost: 1,
      minBacklog: 0,
    })) as { id: string };
    const dry = (await call(ops, '/api/v1/recipes', {
      name: 'bench dry',
      kind: 'clips',
      sourcePool: { kind: 'library', tag: 'bench-dry' },
      creditCost: 1,
      minBacklog: 0,
    })) as { id: string };
    const tenants: { bearer: string; principal: Principal; accountId: string }[] = [];
    let made = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let k = made++; k < Math.max(...LEVELS.map((l) => l.clients)); k = made++) {
          const bearer = await stack.bearer(`claimer-${k}`);
          const account = (await call(bearer, '/api/v1/accounts', { name: `claimer ${k}` })) as { id: string };
          await call(ops, `/api/v1/accounts/${account.id}/credits/grants`, { amount: 1_000_000 });
          tenants[k] = { bearer, principal: { id: `claimer-${k}`, roles: [] }, accountId: account.id };
        }
      }),
    );
    const seed = (n: number) =>
      db.query(
        `insert into ${orchestrator}.generations (id, account_id, content_type, status, total_requested, completed, recipe_id, backlog_form, finished_at)
         select gen_random_uuid(), $1, 'shorts', 'completed', 0, 0, $2, '{}'::jsonb, now() from generate_series(1, $3)`,
        [BACKLOG_ACCOUNT_ID, recipe.id, n],
      );
    await db.query(`drop table if exists bench_bare_claim`);
    await db.query(`create table bench_bare_claim (id bigserial primary key, owner int null)`);
    // As generations_backlog_ready_idx serves the orchestrator's claim: only free rows, in claim order.
    await db.query(`create index bench_bare_claim_free_idx on bench_bare_claim (id) where owner is null`);
    const settings = await db.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'max_connections') order by name`,
    );
    const pgSettings = settings.rows.map((r) => `${r.name}=${r.setting}`).join(' ');

    // The claim's asynchronous tail: every outbox of the stack relayed, every durable consumer caught up.
    const { rows: outboxes } = await db.query<{ schema: string }>(
      `select table_schema as schema from information_schema.tables where table_name = 'outbox' and table_schema like $1`,
      [`${stack.token}\\_%`],
    );
    const schemas = outboxes.map((r) => `"${r.schema}"`);
    const settled = async () => {
      for (const deadline = Date.now() + 300_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        const { rows } = await db.query<{ n: string }>(
          schemas.map((s) => `select count(*) as n from ${s}.outbox where published_at is null`).join(' union all '),
        );
        if (rows.some((r) => Number(r.n) > 0)) continue;
        let busy = false;
        for await (const stream of m.jsm.streams.list()) {
          if (!stream.config.name.startsWith(m.stream(''))) continue;
          for await (const c of m.jsm.consumers.list(stream.config.name))
            if (c.config.durable_name && c.num_pending + c.num_ack_pending > 0) busy = true;
        }
        if (!busy) return;
      }
      throw new Error('the claims’ relays and consumers did not settle within 5 minutes');
    };
    // The next transaction id, without taking one: its advance counts the transactions that wrote (or locked a row).
    const nextXid = async () =>
      Number((await db.query<{ n: string }>(`select pg_snapshot_xmax(pg_current_snapshot())::text as n`)).rows[0]!.n);
    /** A closed-loop run, then its tail; the CPU and transactions of both, per claim. */
    const measure = async (clients: number, total: number, op: (client: number) => Promise<void>): Promise<Run> => {
      await settled();
      const before = {
        node: process.cpuUsage(),
        loop: performance.eventLoopUtilization(),
        children: childCpu(),
        xid: await nextXid(),
      };
      const figures = await closedLoop(clients, total, op);
      const answered = performance.now();
      await settled();
      const tailMs = performance.now() - answered;
      const node = process.cpuUsage(before.node);
      const loop = performance.eventLoopUtilization(before.loop).utilization;
      const children = childCpu();
      const per = (name: string) =>
        children.has(name) && before.children.has(name)
          ? (children.get(name)! - before.children.get(name)!) / total
          : undefined;
      const cost = {
        node: (node.user + node.system) / 1000 / total,
        postgres: per('postgres'),
        nats: per('nats-server'),
        writes: ((await nextXid()) - before.xid) / total,
        loop,
        tailMs,
      };
      return { ...figures, sustained: total / (figures.seconds + tailMs / 1000), cost };
    };

    const instant = (k: number, recipeId: string) =>
      post(tenants[k]!.bearer, '/api/v1/instant', { recipeId, accountId: tenants[k]!.accountId });
    const httpClaim = async (k: number) => {
      const res = await instant(k, recipe.id);
      const body = (await res.json()) as { generation?: { accountId: string } };
      if (res.status !== 200 || body.generation?.accountId !== tenants[k]!.accountId)
        throw new Error(`claim over HTTP: ${res.status} ${JSON.stringify(body)}`);
    };
    const httpEmpty = async (k: number) => {
      const res = await instant(k, dry.id);
      const body = (await res.json()) as { error?: { details?: { fallbackToModal?: boolean } } };
      if (res.status !== 404 || body.error?.details?.fallbackToModal !== true)
        throw new Error(`empty pool over HTTP: ${res.status} ${JSON.stringify(body)}`);
    };
    const command = (k: number, recipeId: string) =>
      sendCommand(
        m,
        orchestratorBacklogCommands.claim,
        {
          principal: tenants[k]!.principal,
          accountId: tenants[k]!.accountId,
          recipeId,
          cost: 1,
          claimKey: crypto.randomUUID(),
          freshAfter: new Date(Date.now() - ITEM_MAX_AGE_MS).toISOString(),
        },
        { timeoutMs: 120_000, owner: 'content-orchestrator' },
      );
    const commandClaim = async (k: number) => {
      const r = await command(k, recipe.id);
      if (r.generation.accountId !== tenants[k]!.accountId) throw new Error('claim command: the item was not moved');
    };
    const commandEmpty = async (k: number) => {
      const err = await command(k, dry.id).then(
        () => new Error('empty pool by command: a claim succeeded'),
        (e: unknown) => e,
      );
      if ((err as { code?: string }).code !== 'NOT_FOUND') throw err;
    };
    const bareClaim = (expect: 0 | 1) => async (k: number) => {
      const { rowCount } = await bare.query(
        `update bench_bare_claim set owner = $1 where id = (select id from bench_bare_claim where owner is null order by id limit 1 for update skip locked) returning id`,
        [k],
      );
      if (rowCount !== expect) throw new Error(`bare claim: ${rowCount} rows, expected ${expect}`);
    };

    // Warm-up (JIT, pools, sockets), not measured.
    await seed(400);
    await closedLoop(50, 200, httpClaim);
    await closedLoop(50, 200, commandClaim);
    await closedLoop(50, 200, httpEmpty);
    await closedLoop(50, 200, commandEmpty);
    await db.query(`insert into bench_bare_claim (owner) select null from generate_series(1, 400)`);
    await closedLoop(50, 200, bareClaim(1));

    const results: BenchResult[] = [];
    for (const { clients, claims, empty } of LEVELS) {
      // Headroom of one item per client: the last claims of a run still find the pool well stocked.
      await seed(claims + clients);
      const http = await measure(clients, claims, httpClaim);
      await seed(claims + clients);
      const cmd = await measure(clients, claims, commandClaim);
      const httpDry = empty ? await measure(clients, empty, httpEmpty) : undefined;
      const cmdDry = empty ? await measure(clients, empty, commandEmpty) : undefined;
      await db.query(`truncate bench_bare_claim`);
      await db.query(`insert into bench_bare_claim (owner) select null from generate_series(1, $1)`, [
        claims + clients,
      ]);
      await db.query(`vacuum analyze bench_bare_claim`);
      const limit = await measure(clients, claims, bareClaim(1));
      // Every free row is claimed now, as every ready item of the dry recipe is: the bare empty claim.
      await db.query(`update bench_bare_claim set owner = 0 where owner is null`);
      const limitDry = empty ? await measure(clients, empty, bareClaim(0)) : undefined;

      const who = clients === 1 ? '1 client' : `${clients} clients`;
      say('');
      say(
        `instant claim, ${clients === 1 ? '1 client (unloaded: the time of one claim)' : `${clients} concurrent clients`}, closed loop (each client sends its next claim when its last one is answered), one account per client; ` +
          `${claims} successful claims per run${empty ? `, ${empty} empty-pool claims` : ''}; PostgreSQL ${pgSettings}, pools of ${POOL}`,
      );
      say(
        `${'run'.padEnd(32)} ${'claims/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'with tail/s'.padStart(11)}  cost per claim (its tail of relays and consumers included)`,
      );
      const rows: [string, Run | undefined][] = [
        ['claim over HTTP', http],
        ['claim command (NATS)', cmd],
        ['bare SKIP LOCKED claim', limit],
        ['empty pool (404) over HTTP', httpDry],
        ['empty pool (404) command (NATS)', cmdDry],
        ['bare claim, no free row', limitDry],
      ];
      for (const [label, f] of rows) {
        if (f)
          say(
            `${label.padEnd(32)} ${f.rate.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(8)} ${f.p95.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${f.sustained.toFixed(0).padStart(11)}  ${costLine(f.cost)}`,
          );
      }

      const notes = (f: Run) =>
        `closed loop, ${who}, one account each; ${claims} successful${empty ? ` / ${empty} empty-pool` : ''} claims per run; PostgreSQL ${pgSettings}; pools of ${POOL}; per claim: ${costLine(f.cost)}; ${f.sustained.toFixed(0)} claims/s counting the tail`;
      const peer = `bare SKIP LOCKED claim, ${who}, pool ${POOL}`;
      const peerDry = `bare claim finding no free row, ${who}, pool ${POOL}`;
      const rate = (name: string, ours: Run, baseline: Run, baselineName: string): BenchResult => ({
        name,
        unit: 'claims/s',
        ours: ours.rate,
        baseline: baseline.rate,
        baselineName,
        higherIsBetter: true,
        notes: notes(ours),
      });
      const time = (
        name: string,
        p: 'p50' | 'p95' | 'p99',
        ours: Run,
        baseline: Run,
        baselineName: string,
      ): BenchResult => ({
        name,
        unit: 'ms',
        ours: ours[p],
        baseline: baseline[p],
        baselineName,
        higherIsBetter: false,
        decimals: 1,
        notes: notes(ours),
      });
      if (clients === 1) {
        // Unloaded, only the time of a claim means something.
        results.push(
          time(`instant claim over HTTP p50, ${who}`, 'p50', http, limit, peer),
          time(`instant claim over HTTP p99, ${who}`, 'p99', http, limit, peer),
          time(`claim command (NATS) p50, ${who}`, 'p50', cmd, limit, peer),
          time(`claim command (NATS) p99, ${who}`, 'p99', cmd, limit, peer),
        );
        continue;
      }
      results.push(
        rate(`instant claim over HTTP, ${who}`, http, limit, peer),
        time(`instant claim over HTTP p50, ${who}`, 'p50', http, limit, peer),
        time(`instant claim over HTTP p95, ${who}`, 'p95', http, limit, peer),
        time(`instant claim over HTTP p99, ${who}`, 'p99', http, limit, peer),
        rate(`claim command (NATS) ${who}`, cmd, limit, peer),
        time(`claim command (NATS) p50, ${who}`, 'p50', cmd, limit, peer),
        time(`claim command (NATS) p95, ${who}`, 'p95', cmd, limit, peer),
        time(`claim command (NATS) p99, ${who}`, 'p99', cmd, limit, peer),
      );
      if (httpDry && cmdDry && limitDry) {
        results.push(
          rate(`empty pool (404) over HTTP, ${who}`, httpDry, limitDry, peerDry),
          time(`empty pool (404) HTTP p99, ${who}`, 'p99', httpDry, limitDry, peerDry),
          rate(`empty pool (404) command, ${who}`, cmdDry, limitDry, peerDry),
          time(`empty pool (404) command p99, ${who}`, 'p99', cmdDry, limitDry, peerDry),
        );
      }
    }
    await db.query(`drop table if exists bench_bare_claim`);
    return results;
  } finally {
    await bare.end();
    await db.end();
    await stack.stop();
  }
}
