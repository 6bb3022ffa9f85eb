// `npm run bench`: measures the platform's hot paths against the physical limit measured in the
// same run (raw NATS JetStream, raw ffmpeg, BullMQ), prints ratios, and writes bench/results/<stamp>.json
// with the settings the servers report (fsync and the like), the CPU and the disks.
// Starts its own nats-server and PostgreSQL, durable as in production (or uses NATS_URL / DATABASE_URL).
import { DEFAULT_FONT_FAMILY } from '@reelforge/contracts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFontFamily, ensureTool, startEmbeddedPostgres, startNatsServer, TOOLS } from '@reelforge/local-infra';
import { NATS_AUTH_VARIABLES, natsAuthFromEnv, openNats } from '@reelforge/messaging';
import { memoryLogger } from '@reelforge/testing';
import { benchArticle } from './article.bench.ts';
import { benchClipEncode } from './clip-encode.bench.ts';
import { benchControlPlane } from './control-plane.bench.ts';
import { benchHttpApi } from './http-api.bench.ts';
import { benchInstantClaim } from './instant-claim.bench.ts';
import { benchJetStreamSync } from './jetstream-sync.bench.ts';
import { benchJobQueues } from './job-queues.bench.ts';
import { benchMessaging } from './messaging.bench.ts';
import { benchOutbox } from './outbox.bench.ts';
import { benchPipeline } from './pipeline.bench.ts';
import { benchWsFanout } from './ws-fanout.bench.ts';
import { ratioSpreads, type BenchResult } from './result.ts';
import {
  diskSettings,
  loadAverage,
  machineSettings,
  natsSettings,
  postgresSettings,
  type RunSettings,
} from './settings.ts';

const work = mkdtempSync(join(tmpdir(), 'reelforge-bench-'));
const say = (line: string) => process.stdout.write(`${line}\n`);
// Our own server runs with authorization on; its credentials travel in the URL. A given NATS_URL
// is used as is, with the NATS_* auth variables of the environment (bench-stack passes them on).
const natsStore = process.env.NATS_URL ? undefined : join(work, 'nats');
const nats = natsStore ? await startNatsServer({ storeDir: natsStore, auth: {} }) : undefined;
if (nats) for (const name of NATS_AUTH_VARIABLES) delete process.env[name];
// Durable: a commit waits for its WAL to reach the disk, as in production; the figures must not
// come from a database that would lose acknowledged work in a crash.
const pg = process.env.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: join(work, 'pg'), database: 'bench', durable: true, statementStats: true });
const natsUrl = process.env.NATS_URL ?? nats!.clientUrl;
const databaseUrl = process.env.DATABASE_URL ?? pg!.url;
const ffmpeg = ensureTool(TOOLS.ffmpeg, say);
const ffprobe = ensureTool(TOOLS.ffprobe, say);
const espeak = ensureTool(TOOLS.espeakNg, say);
ensureFontFamily(DEFAULT_FONT_FAMILY, say);
const { log } = memoryLogger('bench');
// As the services connect (connectNats): without the stack traces nats.js would build per request.
const nc = await openNats(natsUrl, { noAsyncTraces: true }, natsAuthFromEnv(process.env));
// Read back from the servers, not assumed; groups add their own (job-queues: Redis, stream storage).
const settings: RunSettings = {
  postgres: await postgresSettings(databaseUrl),
  nats: natsSettings(nc, natsStore),
  machine: machineSettings(),
  disks: diskSettings({ work, postgres_data: pg?.dataDir, nats_store: natsStore }),
};

// `npm run bench -- pipeline ws-fanout` runs only the named groups; no names, all of them.
// `--runs N` runs each of them N times in a row and adds the min/median/max of every ratio.
const groups: Record<string, () => Promise<BenchResult[]>> = {
  messaging: () => benchMessaging(nc, log),
  outbox: () => benchOutbox(nc, databaseUrl, log),
  'control-plane': () => benchControlPlane(nc, natsUrl, databaseUrl, say),
  'http-api': () => benchHttpApi(natsUrl, databaseUrl),
  'ws-fanout': () => benchWsFanout(natsUrl, databaseUrl, log),
  'instant-claim': () => benchInstantClaim(nc, natsUrl, databaseUrl, log, say),
  'job-queues': () => benchJobQueues({ nc, natsUrl, databaseUrl, log, work, settings, say }),
  'jetstream-sync': () => benchJetStreamSync(work, say),
  pipeline: () => benchPipeline(ffmpeg, ffprobe, work),
  article: () => benchArticle(ffmpeg, ffprobe, espeak, work, say),
  'clip-encode': () => benchClipEncode(ffmpeg, work, say),
};
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1) {
  say('--runs takes a whole number of runs, at least 1');
  process.exit(2);
}
const wanted = runsAt >= 0 ? args.filter((_, i) => i !== runsAt && i !== runsAt + 1) : args;
const unknown = wanted.filter((g) => !(g in groups));
if (unknown.length) {
  say(`unknown benchmark group(s): ${unknown.join(', ')}; known: ${Object.keys(groups).join(', ')}`);
  process.exitCode = 2;
}

const results: BenchResult[] = [];
try {
  for (const [name, run] of Object.entries(groups)) {
    if (unknown.length || (wanted.length && !wanted.includes(name))) continue;
    for (let i = 0; i < runs; i++) results.push(...(await run()));
  }
} finally {
  settings.machine!.load_average_at_end = loadAverage();
  await nc.drain();
  await nats?.stop();
  await pg?.stop();
  rmSync(work, { recursive: true, force: true });
}

say('');
say('settings (as the servers and the machine report them):');
for (const [group, values] of Object.entries(settings))
  for (const [name, value] of Object.entries(values)) say(`  ${group}.${name}: ${value}`);
say('');
say(`${'benchmark'.padEnd(44)} ${'ours'.padStart(14)} ${'baseline'.padStart(14)}  ratio  (baseline)`);
for (const r of results) {
  say(
    `${r.name.padEnd(44)} ${`${r.ours.toFixed(r.decimals ?? 0)} ${r.unit}`.padStart(14)} ${`${r.baseline.toFixed(r.decimals ?? 0)} ${r.unit}`.padStart(14)}  ${(r.ours / r.baseline).toFixed(2).padStart(5)}  (${r.baselineName})`,
  );
}
// Each distinct note once, after the names of the figures it belongs to.
const notes = new Map<string, string[]>();
for (const r of results)
  if (r.notes && !notes.get(r.notes)?.includes(r.name)) notes.set(r.notes, [...(notes.get(r.notes) ?? []), r.name]);
if (notes.size) say('');
for (const [note, names] of notes) say(`${names.join('; ')}: ${note}`);
const spreads = runs > 1 ? ratioSpreads(results) : [];
if (spreads.length) {
  say('');
  say(`${'ratio over the runs'.padEnd(44)}    min  median    max  (runs)`);
  for (const sp of spreads)
    say(
      `${sp.name.padEnd(44)}  ${sp.min.toFixed(2).padStart(5)}  ${sp.median.toFixed(2).padStart(6)}  ${sp.max.toFixed(2).padStart(5)}  (${sp.runs})`,
    );
}
const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file = join(outDir, `${stamp}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: availableParallelism(), runs, settings, results, spreads }, null, 2)}\n`,
);
say(`\nresults written to ${file}`);
