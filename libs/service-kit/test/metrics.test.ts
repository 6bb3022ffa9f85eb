import { Migration } from '@mikro-orm/migrations';
import { trace } from '@opentelemetry/api';
import { Type } from '@sinclair/typebox';
import { describe, expect, inject, it } from 'vitest';
import { makeEnvelope, uuidv7 } from '@reelforge/contracts';
import { PermanentError, ensureConsumer, publishEvent, startConsumer } from '@reelforge/messaging';
import { OUTBOX_INBOX_SQL, enqueueOutbox } from '@reelforge/persistence';
import { eventually, memoryLogger, uniqueToken } from '@reelforge/testing';
import { bootService, commonSettings, env, loadConfig, type ConfigOf, type ServiceDefinition } from '../src/index.ts';

const spec = { ...commonSettings, DB_SCHEMA: env.string('metered'), HEALTH_PORT: env.port(0) };
type Config = ConfigOf<typeof spec>;

class Outbox extends Migration {
  override async up(): Promise<void> {
    for (const sql of OUTBOX_INBOX_SQL) this.addSql(sql);
  }
}

const consumer = (durable: string, filterSubject: string) => ({
  stream: 'METERED',
  durable,
  filterSubject,
  ackWaitMs: 30_000,
  maxAckPending: 100,
});

/** A service with two durable consumers (one idle, one that dead-letters everything) and an outbox. */
const service: ServiceDefinition<Config> = {
  name: 'metered',
  loadConfig: (source, warn) => loadConfig(spec, source, warn),
  entities: [],
  migrations: [{ name: 'm0001-outbox', class: Outbox }],
  ownedStreams: [
    {
      name: 'METERED',
      owner: 'shared',
      subjects: ['metered.>'],
      retention: 'limits',
      maxAgeMs: 60_000,
      description: 'test',
    },
  ],
  start: async (platform) => {
    await ensureConsumer(platform.messaging, consumer('metered-idle', 'metered.idle'));
    await ensureConsumer(platform.messaging, consumer('metered-refuses', 'metered.refuses'));
    const running = await startConsumer(platform.messaging, {
      ...consumer('metered-refuses', 'metered.refuses'),
      schema: Type.Unknown(),
      handler: async () => {
        throw new PermanentError('REFUSED', 'this consumer refuses everything');
      },
      concurrency: 1,
      retry: { initialDelayMs: 10, maxDelayMs: 10, maxDeliveries: 1, jitter: 0 },
      heartbeatMs: 5_000,
      drainTimeoutMs: 1_000,
      log: platform.log,
      tracer: platform.tracer,
    });
    platform.shutdown.add('consumer', () => running.stop());
  },
  healthPort: (c) => c.HEALTH_PORT,
};

/** The value of one sample of the exposition, found by metric name and a subset of its labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics on the health port', () => {
  it('reports consumer backlog, dead letters and the outbox, read from JetStream and the schema when scraped', async () => {
    const token = uniqueToken();
    const svc = await bootService(
      service,
      {
        DATABASE_URL: inject('databaseUrl'),
        NATS_URL: inject('natsUrl'),
        NATS_NAMESPACE: token,
        DB_SCHEMA: `${token}_metered`,
        PRUNE_INTERVAL: '0',
      },
      { log: memoryLogger('test').log, tracer: trace.getTracer('test') },
    );
    try {
      const m = svc.platform.messaging;
      const account = uuidv7();
      for (let i = 0; i < 3; i++)
        await publishEvent(m, 'metered.idle', makeEnvelope('test.idle.v1', 'test', account, { i }));
      await publishEvent(m, 'metered.refuses', makeEnvelope('test.refused.v1', 'test', account, { i: 0 }));
      const em = svc.platform.orm.em.fork();
      await em.transactional(async (tx) => {
        for (let i = 0; i < 2; i++)
          await enqueueOutbox(
            tx,
            svc.platform.schema,
            'metered.out',
            makeEnvelope('test.out.v1', 'test', account, { i }),
          );
      });

      const scrape = async () => {
        const res = await fetch(`http://127.0.0.1:${svc.healthPort}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        return res.text();
      };
      // The dead letter is written by the consumer loop, after this test's publish returned.
      const text = await eventually('the refused message in the DLQ', async () => {
        const t = await scrape();
        return sample(t, 'reelforge_dead_letters', { consumer: 'metered-refuses' }) === 1 ? t : undefined;
      });

      const idle = { service: 'metered', stream: 'METERED', consumer: 'metered-idle' };
      expect(sample(text, 'reelforge_consumer_pending_messages', idle)).toBe(3);
      expect(sample(text, 'reelforge_consumer_ack_pending_messages', idle)).toBe(0);
      expect(sample(text, 'reelforge_dead_letters', idle)).toBe(0);
      expect(sample(text, 'reelforge_consumer_pending_messages', { consumer: 'metered-refuses' })).toBe(0);
      expect(sample(text, 'reelforge_outbox_depth', { service: 'metered' })).toBe(2);
      expect(sample(text, 'reelforge_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
      // Node's own process metrics come with the service label too.
      expect(sample(text, 'reelforge_process_cpu_user_seconds_total', { service: 'metered' })).toBeGreaterThan(0);
    } finally {
      await svc.stop();
    }
  });
});
