import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Migration } from '@mikro-orm/migrations';
import { makeEnvelope, type Envelope } from '@reelforge/contracts';
import { createMessaging, ensureStream, namespaceFrom, publishEvent } from '@reelforge/messaging';
import {
  createOrm,
  enqueueOutbox,
  migrate,
  OUTBOX_INBOX_SQL,
  OUTBOX_LEASE_OWNER_SQL,
  OUTBOX_LEASE_SQL,
  startOutboxRelay,
  type MikroORM,
} from '@reelforge/persistence';
import type { Logger } from 'pino';
import type { BenchResult } from './result.ts';

class OutboxOnly extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...OUTBOX_INBOX_SQL, ...OUTBOX_LEASE_SQL, ...OUTBOX_LEASE_OWNER_SQL]) this.addSql(sql);
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

  // The limits: the same events published directly, no database, measured before and after ours
  // (the better of the two is the baseline), so neither side gets the warmer server. Two of them:
  // nats.js's js.publish 64 in flight (the baseline this figure has always had), and the fastest
  // publish we know, our pubAckPublisher (what the relay publishes with) at the relay's depth.
  let rawRound = 0;
  const rawWith = async (inFlight: number, publish: (e: Envelope, id: string) => Promise<unknown>) => {
    rawRound++;
    const t = performance.now();
    for (let i = 0; i < N; i += inFlight)
      await Promise.all(events.slice(i, i + inFlight).map((e) => publish(e, `raw${rawRound}-${e.id}`)));
    return N / ((performance.now() - t) / 1000);
  };
  const viaJs = (e: Envelope, id: string) => js.publish(m.subject('ob.raw'), JSON.stringify(e), { msgID: id });
  const viaAcks = (e: Envelope, id: string) =>
    m.pubAcks.publish(m.subject('ob.raw'), JSON.stringify(e), { msgID: id, headers: headers() });
  const rawRate = async () => ({ js: await rawWith(64, viaJs), fastest: await rawWith(500, viaAcks) });
  const rawBefore = await rawRate();

  // End to end: writers commit in transactions of 10 events each (a realistic fan-out), kicking
  // the relay after each commit, as the services do.
  const endToEnd = await relayed(N, async (relay) => {
    for (let i = 0; i < N; i += 10) {
      await commitTen(orm, schema, events.slice(i, i + 10));
      relay.kick();
    }
  });
  // The relay alone: the rows are committed first, then the relay drains them (what the relay
  // adds between a commit and the broker, against publishing the same events directly).
  const fresh = events.map((e) => makeEnvelope('bench.ob.v1', 'bench', ACCOUNT, e.data));
  for (let i = 0; i < N; i += 10) await commitTen(orm, schema, fresh.slice(i, i + 10));
  const drain = await relayed(N, async () => undefined);
  const rawAfter = await rawRate();
  const raw = Math.max(rawBefore.js, rawAfter.js);
  const fastest = Math.max(rawBefore.fastest, rawAfter.fastest);
  await m.jsm.streams.delete(m.stream('OB'));
  await orm.close();
  const drainNotes = `${N} rows of one subject, already committed; claim with a lease, pipelined publishes (schema check, trace headers, Nats-Msg-Id), one settle statement per batch`;
  return [
    {
      name: 'outbox relay draining committed rows → JetStream',
      unit: 'msg/s',
      ours: drain,
      baseline: raw,
      baselineName: 'raw js.publish (64 in flight)',
      higherIsBetter: true,
      notes: drainNotes,
    },
    {
      name: 'outbox relay draining, ÷ the fastest raw publish',
      unit: 'msg/s',
      ours: drain,
      baseline: fastest,
      baselineName: 'raw pubAckPublisher (500 in flight)',
      higherIsBetter: true,
      notes: drainNotes,
    },
    {
      name: 'outbox commit → relay → JetStream',
      unit: 'msg/s',
      ours: endToEnd,
      baseline: raw,
      baselineName: 'raw js.publish (64 in flight)',
      higherIsBetter: true,
      notes: 'includes the INSERTs: 300 durable transactions of 10 rows, one writer, the relay kicked after each',
    },
  ];

  /** Starts a relay, runs `write`, and returns the rate at which all `n` rows reached the server. */
  async function relayed(n: number, write: (relay: { kick(): void }) => Promise<void>): Promise<number> {
    let published = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const start = performance.now();
    const relay = startOutboxRelay({
      orm,
      schema,
      log,
      publish: async (row) => {
        await publishEvent(m, row.subject, row.envelope);
        if (++published === n) done();
      },
    });
    await write(relay);
    await all;
    const rate = n / ((performance.now() - start) / 1000);
    await relay.stop();
    return rate;
  }
}

async function commitTen(orm: MikroORM, schema: string, events: Envelope[]): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    for (const e of events) await enqueueOutbox(em, schema, 'ob.ours', e);
  });
}
