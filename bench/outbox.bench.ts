import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Migration } from '@mikro-orm/migrations';
import { makeEnvelope } from '@reelforge/contracts';
import { createMessaging, ensureStream, namespaceFrom, publishEvent } from '@reelforge/messaging';
import { createOrm, enqueueOutbox, migrate, OUTBOX_INBOX_SQL, startOutboxRelay } from '@reelforge/persistence';
import type { Logger } from 'pino';
import type { BenchResult } from './result.ts';

class OutboxOnly extends Migration {
  override async up(): Promise<void> {
    for (const sql of OUTBOX_INBOX_SQL) this.addSql(sql);
  }
}

const N = 3000;
const ACCOUNT = '01900000-0000-7000-8000-000000000000';

/** Transactional outbox → relay → JetStream, against publishing the same events directly. */
export async function benchOutbox(nc: NatsConnection, databaseUrl: string, log: Logger): Promise<BenchResult[]> {
  const schema = 'bench_outbox';
  const orm = await createOrm({
    databaseUrl,
    schema,
    entities: [],
    migrations: [{ name: 'm1', class: OutboxOnly }],
    log,
  });
  await migrate(orm, schema, log);
  await orm.em.fork().execute(`truncate "${schema}".outbox`);
  const m = await createMessaging(nc, 'bench', namespaceFrom('benchob'));
  await ensureStream(
    m,
    { name: 'OB', owner: 'shared', subjects: ['ob.>'], retention: 'limits', maxAgeMs: 600_000, description: 'bench' },
    { replicas: 1 },
  );
  const js = jetstream(nc);
  const events = Array.from({ length: N }, () =>
    makeEnvelope('bench.ob.v1', 'bench', ACCOUNT, { pad: 'x'.repeat(200) }),
  );

  let t = performance.now();
  for (let i = 0; i < N; i += 64)
    await Promise.all(
      events.slice(i, i + 64).map((e) => js.publish(m.subject('ob.raw'), JSON.stringify(e), { msgID: `raw-${e.id}` })),
    );
  const raw = N / ((performance.now() - t) / 1000);

  // Writers commit in transactions of 10 events each (a realistic fan-out), the relay drains.
  let published = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  t = performance.now();
  const relay = startOutboxRelay({
    orm,
    schema,
    log,
    publish: async (row) => {
      await publishEvent(m, row.subject, row.envelope);
      if (++published === N) done();
    },
  });
  for (let i = 0; i < N; i += 10) {
    await orm.em.fork().transactional(async (em) => {
      for (const e of events.slice(i, i + 10)) await enqueueOutbox(em, schema, 'ob.ours', e);
    });
    relay.kick();
  }
  await all;
  const ours = N / ((performance.now() - t) / 1000);
  await relay.stop();
  await m.jsm.streams.delete(m.stream('OB'));
  await orm.close();
  return [
    {
      name: 'outbox commit → relay → JetStream',
      unit: 'msg/s',
      ours,
      baseline: raw,
      baselineName: 'raw js.publish',
      higherIsBetter: true,
      notes: 'includes the INSERTs in 300 transactions and the relay marking rows published',
    },
  ];
}
