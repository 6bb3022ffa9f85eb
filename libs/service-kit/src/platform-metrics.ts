import { subjects } from '@reelforge/contracts';
import type { Messaging } from '@reelforge/messaging';
import type { MikroORM } from '@reelforge/persistence';
import { perScrape, type Metrics } from '@reelforge/telemetry';

/**
 * The metrics every service has: its durable consumers (pending, waiting for an ack, redelivered,
 * dead-lettered) read from JetStream, and its outbox (depth, age of the oldest unpublished row) read
 * from its schema, all at scrape time.
 */
export function registerPlatformMetrics(metrics: Metrics, m: Messaging, orm: MikroORM, schema: string): void {
  const consumers = perScrape(async () =>
    Promise.all(
      [...m.durables.values()].map(async (c) => ({
        ...c,
        info: await m.jsm.consumers.info(m.stream(c.stream), `${m.ns.streamPrefix}${c.durable}`),
      })),
    ),
  );
  const labels = ['stream', 'consumer'] as const;
  const fromConsumers = (name: string, help: string, value: (i: ConsumerInfoOf) => number) =>
    metrics.gaugeFrom(name, help, labels, async (set) => {
      for (const c of await consumers()) set({ stream: c.stream, consumer: c.durable }, value(c.info));
    });
  fromConsumers(
    'reelforge_consumer_pending_messages',
    'Messages not yet delivered to the consumer',
    (i) => i.num_pending,
  );
  fromConsumers(
    'reelforge_consumer_ack_pending_messages',
    'Messages delivered and not yet acknowledged',
    (i) => i.num_ack_pending,
  );
  fromConsumers(
    'reelforge_consumer_redelivered_messages',
    'Messages delivered more than once and not yet acknowledged',
    (i) => i.num_redelivered,
  );

  metrics.gaugeFrom(
    'reelforge_dead_letters',
    'Dead letters kept for each consumer (DLQ stream)',
    labels,
    async (set) => {
      if (m.durables.size === 0) return;
      const info = await m.jsm.streams.info(m.stream('DLQ'), { subjects_filter: m.subject('dlq.>') });
      const counts = info.state.subjects ?? {};
      for (const c of m.durables.values()) {
        const subject = m.subject(subjects.deadLetter(m.stream(c.stream), `${m.ns.streamPrefix}${c.durable}`));
        set({ stream: c.stream, consumer: c.durable }, counts[subject] ?? 0);
      }
    },
  );

  const outbox = perScrape(async () => {
    const em = orm.em.fork();
    const [exists] = await em.execute<{ present: boolean }[]>(`select to_regclass(?) is not null as present`, [
      `"${schema}".outbox`,
    ]);
    if (!exists?.present) return undefined;
    const [row] = await em.execute<{ depth: number; age: string | null }[]>(
      `select count(*)::int as depth, extract(epoch from now() - min(created_at)) as age
         from "${schema}".outbox where published_at is null`,
    );
    return { depth: row?.depth ?? 0, age: Number(row?.age ?? 0) };
  });
  metrics.gaugeFrom('reelforge_outbox_depth', 'Outbox rows not yet published', [], async (set) => {
    const o = await outbox();
    if (o) set({}, o.depth);
  });
  metrics.gaugeFrom(
    'reelforge_outbox_oldest_age_seconds',
    'Age of the oldest unpublished outbox row',
    [],
    async (set) => {
      const o = await outbox();
      if (o) set({}, o.age);
    },
  );
}

type ConsumerInfoOf = Awaited<ReturnType<Messaging['jsm']['consumers']['info']>>;
