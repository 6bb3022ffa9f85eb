import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '@reelforge/local-infra';
import { openNats } from '@reelforge/messaging';
import { cpuByGroup, cpuSpent } from './process-cpu.ts';
import type { BenchResult } from './result.ts';
import { HOW_TO_GET_SYNC_NATS, natsServerVersion, syncCapableNatsServer } from './sync-capable-nats.ts';

const N = 6000;
const IN_FLIGHT = 64;
const PAYLOAD = JSON.stringify({ pad: 'x'.repeat(300) });

/**
 * What JetStream costs when a PubAck means the disk has the message, as a PostgreSQL commit does:
 * `sync_interval: always` against the server's default (an fsync at most every 2 minutes), same
 * binary, same disk, publishes pipelined 64 deep. It prices the design that would make JetStream
 * the record of task transitions (docs/architecture.md): only a server that fsyncs each message
 * (or a replicated stream) is as durable as the commit it would replace.
 */
export async function benchJetStreamSync(work: string, say: (line: string) => void): Promise<BenchResult[]> {
  const server = await syncCapableNatsServer(say);
  if ('why' in server) {
    say(`jetstream-sync: skipped (${server.why}); ${HOW_TO_GET_SYNC_NATS}`);
    return [];
  }
  const { bin } = server;
  const version = natsServerVersion(bin) ?? '?';
  // A fresh store per server and run: ids already in a stream would be dropped as duplicates, unwritten.
  const always = await publishRate(bin, mkdtempSync(join(work, 'js-sync-always-')), true);
  const byDefault = await publishRate(bin, mkdtempSync(join(work, 'js-sync-default-')), false);
  return [
    {
      name: 'JetStream publish, sync_interval always',
      unit: 'msg/s',
      ours: always.rate,
      baseline: byDefault.rate,
      baselineName: `the same server ${version}, default sync (2 min)`,
      higherIsBetter: true,
      notes: `${N} publishes of ${PAYLOAD.length} bytes, ${IN_FLIGHT} in flight, one stream, file storage; nats-server CPU per message: ${always.cpuMicros.toFixed(0)} µs (always) vs ${byDefault.cpuMicros.toFixed(0)} µs (default)`,
    },
  ];
}

/** Publishes N messages to a server of its own in `dir` (with or without an fsync per message): rate and its CPU per message. */
async function publishRate(
  bin: string,
  dir: string,
  syncAlways: boolean,
): Promise<{ rate: number; cpuMicros: number }> {
  const server = await startNatsServer({ storeDir: dir, bin, syncAlways });
  try {
    const nc = await openNats(server.url, { noAsyncTraces: true });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'SYNC', subjects: ['sync.>'] });
      const js = jetstream(nc);
      const pids = { server: server.pid };
      const before = await cpuByGroup(pids, []);
      const started = performance.now();
      for (let i = 0; i < N; i += IN_FLIGHT)
        await Promise.all(
          Array.from({ length: Math.min(IN_FLIGHT, N - i) }, (_, k) =>
            js.publish(`sync.${(i + k) % 100}`, PAYLOAD, { msgID: `m${i + k}` }),
          ),
        );
      const seconds = (performance.now() - started) / 1000;
      const spent = cpuSpent(before, await cpuByGroup(pids, []));
      return { rate: N / seconds, cpuMicros: ((spent.server?.cpuSeconds ?? 0) * 1e6) / N };
    } finally {
      await nc.close();
    }
  } finally {
    await server.stop();
  }
}
