// `job-queues`: one job lifecycle (submit → a worker runs it, reporting progress once → the
// producer sees it completed) four ways in one run: BullMQ on Redis, BullMQ with a PostgreSQL task
// row per job (what a product on BullMQ that keeps its tasks in PostgreSQL pays), a plain JetStream
// work queue (the limit of our messaging), and our control plane. First a burst of BENCH_JOBS jobs (closed
// loop: throughput, and how long the burst takes to drain), then an open loop at each rate of
// BENCH_RATES jobs/s for BENCH_SECONDS, latency from each job's scheduled send time (free of
// coordinated omission): the default rates are one below our saturation and one far above it.
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { startRedisServer } from '@reelforge/local-infra';
import type { Logger } from 'pino';
import { runBurst, runOpenLoop, type JobTarget, type LoadFigures } from './job-load.ts';
import { startBullmq } from './job-queue-bullmq.ts';
import { startJetStreamWorkQueue } from './job-queue-jetstream.ts';
import { startOurs } from './job-queue-ours.ts';
import type { BenchResult } from './result.ts';
import type { RunSettings } from './settings.ts';

const envInts = (name: string, fallback: string): number[] => {
  const values = (process.env[name] ?? fallback).split(',').map(Number);
  if (!values.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${name} must be positive integers`);
  return values;
};
const envInt = (name: string, fallback: number): number => envInts(name, String(fallback))[0]!;

/** Not measured: each system runs this many jobs first, so none is timed cold (JIT, connections, caches). */
const WARMUP_JOBS = 100;
/** A burst goes out in requests of CHUNK jobs (addBulk, parallel publishes, one generation), IN_FLIGHT at a time. */
const CHUNK = 50;
const IN_FLIGHT = 4;
/** Ours: an open-loop job is a one-task generation on a free account; at most this many run at once. */
const MAX_OPEN_ACCOUNTS = 500;

interface Figures {
  burst: LoadFigures;
  /** One per rate of BENCH_RATES, in that order. */
  open: LoadFigures[];
}

export async function benchJobQueues(deps: {
  nc: NatsConnection;
  natsUrl: string;
  databaseUrl: string;
  log: Logger;
  work: string;
  settings: RunSettings;
  say: (line: string) => void;
}): Promise<BenchResult[]> {
  const jobs = envInt('BENCH_JOBS', 5000);
  const concurrency = envInt('BENCH_CONCURRENCY', 16);
  const rates = envInts('BENCH_RATES', '20,500');
  const seconds = envInt('BENCH_SECONDS', 10);
  const timeoutMs = envInt('BENCH_TIMEOUT_S', 600) * 1000;
  const openJobs = rates.reduce((sum, rate) => sum + rate * seconds, 0);
  const openAccounts = Math.min(MAX_OPEN_ACCOUNTS, openJobs);
  const { say } = deps;

  const measure = async (name: string, target: JobTarget, between?: () => Promise<void>): Promise<Figures> => {
    const burstOptions = { chunk: CHUNK, inFlight: IN_FLIGHT, timeoutMs };
    await runBurst(target, WARMUP_JOBS, burstOptions);
    await between?.();
    const burst = await runBurst(target, jobs, burstOptions);
    say(`${name}: burst of ${jobs}: ${describe(burst)}`);
    await between?.();
    const open: LoadFigures[] = [];
    for (const rate of rates) {
      const figures = await runOpenLoop(target, { rate, seconds, timeoutMs });
      say(`${name}: open loop ${rate}/s for ${seconds} s: ${describe(figures)}`);
      open.push(figures);
      await between?.();
    }
    return { burst, open };
  };

  const redis = await startRedisServer({ dir: join(deps.work, 'redis'), log: say });
  let bullmq: Figures;
  let bullmqRecords: Figures;
  try {
    const target = await startBullmq({ port: redis.port, name: 'bench', concurrency });
    try {
      deps.settings.redis = await target.settings();
      bullmq = await measure('BullMQ', target);
    } finally {
      await target.close();
    }
    // The same, keeping a task row per job in the same durable PostgreSQL as ours (a product's records).
    const recorded = await startBullmq({
      port: redis.port,
      name: `bullmq_records_${Date.now().toString(36)}`,
      concurrency,
      records: { databaseUrl: deps.databaseUrl },
    });
    try {
      bullmqRecords = await measure('BullMQ + PostgreSQL task rows', recorded);
    } finally {
      await recorded.close();
    }
  } finally {
    await redis.stop();
  }

  const wq = await startJetStreamWorkQueue({ nc: deps.nc, token: `wq${Date.now().toString(36)}`, concurrency });
  let jetstream: Figures;
  try {
    deps.settings.jetstream_work_queue = await wq.settings();
    jetstream = await measure('JetStream work queue', wq);
  } finally {
    await wq.close();
  }

  const ours = await startOurs({ ...deps, workers: concurrency });
  let oursFigures: Figures;
  let progressNote: string;
  try {
    // A burst request is a CHUNK-task generation on an account of its own.
    const setup = performance.now();
    const burstAccounts = Math.ceil(WARMUP_JOBS / CHUNK) + Math.ceil(jobs / CHUNK);
    await ours.prepare(burstAccounts, CHUNK);
    await ours.prepare(openAccounts, Math.ceil(openJobs / openAccounts));
    const took = ((performance.now() - setup) / 1000).toFixed(1);
    say(`ours: ${burstAccounts + openAccounts} accounts and their sources made in ${took} s (not measured)`);
    oursFigures = await measure('ours', ours, () => ours.drained());
    if (ours.failures()) throw new Error(`${ours.failures()} task(s) of ours ended other than completed`);
    progressNote =
      `ours: the producer saw ${ours.progressEvents()} task.progress events for ${WARMUP_JOBS + jobs + openJobs} ` +
      "tasks (the no-op render's one, and the 'completed' stage's)";
    deps.settings.ours_streams = await ours.settings();
  } finally {
    await ours.close();
  }

  const redisSettings = deps.settings.redis;
  const bullmqName =
    `BullMQ 6.7.0, Redis ${redisSettings.redis_version} ` +
    `appendonly ${redisSettings.appendonly} appendfsync ${redisSettings.appendfsync}`;
  const natsSync = deps.settings.nats?.sync ?? 'unknown';
  const jetstreamName = `JetStream work queue, file storage, ${natsSync.startsWith('not configured') ? 'nats-server default sync_interval 2m' : natsSync}`;
  const pg = deps.settings.postgres;
  const shared =
    `${concurrency} workers, one progress update per job, completion seen by the producer; ours: gateway, orchestrator ` +
    `and repurposer each in its own process; PostgreSQL fsync ${pg?.fsync}, synchronous_commit ${pg?.synchronous_commit}; ${progressNote}`;
  const burstNote =
    `burst: ${jobs} jobs sent in requests of ${CHUNK} (BullMQ addBulk, ${CHUNK} parallel PubAck'd publishes, ` +
    `one ${CHUNK}-task generation), ${IN_FLIGHT} requests in flight; latency from the request's start ` +
    '(includes waiting behind the burst)';
  const openNote = (rate: number) =>
    `open loop: ${rate} jobs/s for ${seconds} s, one job per request (BullMQ add, one publish, a one-task ` +
    `generation on a free account of ${openAccounts}), latency from the scheduled send time`;

  const recordsName =
    `${bullmqName}, + a PostgreSQL task row per job (inserted at add, updated at start, progress and ` +
    'completion, each its own durable commit, as an application on BullMQ keeps its tasks)';
  const rows: BenchResult[] = [];
  for (const [baselineName, base] of [
    [bullmqName, bullmq],
    [recordsName, bullmqRecords],
    [jetstreamName, jetstream],
  ] as const) {
    const row = (name: string, unit: string, ours: number, baseline: number, higherIsBetter: boolean, notes: string) =>
      rows.push({ name, unit, ours, baseline, baselineName, higherIsBetter, notes: `${notes}; ${shared}` });
    const b = oursFigures.burst;
    row(`jobs burst ${jobs}, completed/s`, 'jobs/s', b.perSecond, base.burst.perSecond, true, burstNote);
    row(`jobs burst ${jobs}, p50`, 'ms', b.p50Ms, base.burst.p50Ms, false, burstNote);
    row(`jobs burst ${jobs}, p99`, 'ms', b.p99Ms, base.burst.p99Ms, false, burstNote);
    rates.forEach((rate, i) => {
      const o = oursFigures.open[i]!;
      const bo = base.open[i]!;
      const note = missingNote(openNote(rate), o, bo);
      row(`jobs open ${rate}/s, completed/s`, 'jobs/s', o.perSecond, bo.perSecond, true, note);
      row(`jobs open ${rate}/s, p50`, 'ms', o.p50Ms, bo.p50Ms, false, note);
      row(`jobs open ${rate}/s, p99`, 'ms', o.p99Ms, bo.p99Ms, false, note);
    });
  }
  return rows;
}

function describe(f: LoadFigures): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return (
    `${f.perSecond.toFixed(0)} completed/s, p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}, max ${ms(f.maxMs)}` +
    (f.missing ? `, ${f.missing} NOT SEEN COMPLETED by the deadline` : '') +
    (f.refused ? ` (${f.refused} of them refused: ${f.refusal})` : '')
  );
}

function missingNote(note: string, ours: LoadFigures, base: LoadFigures): string {
  const count = (f: LoadFigures) => `${f.missing}${f.refused ? ` (${f.refused} refused)` : ''}`;
  const missing = [ours.missing && `ours: ${count(ours)}`, base.missing && `baseline: ${count(base)}`];
  const said = missing.filter(Boolean).join(', ');
  return said ? `${note}; not seen completed by the deadline (counted at it): ${said}` : note;
}
