import { headers, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { trace } from '@opentelemetry/api';
import { Type } from '@sinclair/typebox';
import { envelopeOf, makeEnvelope, STREAMS } from '@reelforge/contracts';
import {
  createMessaging,
  ensureConsumer,
  ensureStream,
  namespaceFrom,
  publishEvent,
  startConsumer,
} from '@reelforge/messaging';
import type { Logger } from 'pino';
import type { BenchResult } from './result.ts';

const Ping = envelopeOf('bench.ping.v1', Type.Object({ n: Type.Integer(), pad: Type.String() }));
const N = 5000;
const ACCOUNT = '01900000-0000-7000-8000-000000000000';

/** publishEvent and startConsumer against raw JetStream publish/consume of the same payloads. */
export async function benchMessaging(nc: NatsConnection, log: Logger): Promise<BenchResult[]> {
  const m = await createMessaging(nc, 'bench', namespaceFrom('bench'));
  const decl = {
    name: 'PING',
    owner: 'shared' as const,
    subjects: ['ping.>'],
    retention: 'workqueue' as const,
    maxAgeMs: 600_000,
    description: 'bench',
  };
  await ensureStream(m, decl, { replicas: 1 });
  await ensureStream(m, STREAMS.DLQ, { replicas: 1, createOnly: true });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const events = Array.from({ length: N }, (_, n) =>
    makeEnvelope('bench.ping.v1', 'bench', ACCOUNT, { n, pad: 'x'.repeat(200) }),
  );

  // Publish: raw js.publish (awaiting each ack, 64 in flight) vs publishEvent (validate + headers).
  const publishAll = async (fn: (i: number) => Promise<unknown>) => {
    const t = performance.now();
    for (let i = 0; i < N; i += 64) await Promise.all(Array.from({ length: Math.min(64, N - i) }, (_, k) => fn(i + k)));
    return N / ((performance.now() - t) / 1000);
  };
  const raw = await publishAll((i) =>
    js.publish(m.subject('ping.raw'), JSON.stringify(events[i]), { msgID: `raw-${events[i]!.id}` }),
  );
  // The path publishEvent takes since session 16, raw: the same PubAcks without the schema check,
  // the span or the trace headers.
  const rawAcks = await publishAll((i) =>
    m.pubAcks.publish(m.subject('ping.raw'), JSON.stringify(events[i]), {
      msgID: `acks-${events[i]!.id}`,
      headers: headers(),
    }),
  );
  const ours = await publishAll((i) => publishEvent(m, 'ping.ours', events[i]!, Ping));

  // Consume: raw pull consume + ack vs startConsumer (validation, span, heartbeat timer per message).
  await jsm.consumers.add(m.stream('PING'), {
    durable_name: 'raw',
    ack_policy: AckPolicy.Explicit,
    filter_subject: m.subject('ping.raw'),
    deliver_policy: DeliverPolicy.All,
  });
  const t0 = performance.now();
  const messages = await (await js.consumers.get(m.stream('PING'), 'raw')).consume({ max_messages: 256 });
  let seen = 0;
  for await (const msg of messages) {
    JSON.parse(new TextDecoder().decode(msg.data));
    msg.ack();
    if (++seen === N) break;
  }
  const rawConsume = N / ((performance.now() - t0) / 1000);

  await ensureConsumer(m, {
    stream: 'PING',
    durable: 'ours',
    filterSubject: 'ping.ours',
    ackWaitMs: 30_000,
    maxAckPending: 1000,
  });
  let handled = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const t1 = performance.now();
  const consumer = await startConsumer(m, {
    stream: 'PING',
    durable: 'ours',
    schema: Ping,
    concurrency: 32,
    retry: { initialDelayMs: 100, maxDelayMs: 1000, maxDeliveries: 3, jitter: 0 },
    heartbeatMs: 10_000,
    drainTimeoutMs: 5000,
    log,
    tracer: trace.getTracer('bench'),
    handler: async () => {
      if (++handled === N) done();
    },
  });
  await all;
  const oursConsume = N / ((performance.now() - t1) / 1000);
  await consumer.stop();
  await jsm.streams.delete(m.stream('PING'));

  return [
    {
      name: 'publish event (validated, traced, dedup id)',
      unit: 'msg/s',
      ours,
      baseline: raw,
      baselineName: 'raw js.publish',
      higherIsBetter: true,
    },
    {
      name: 'publish event ÷ raw pubAckPublisher',
      unit: 'msg/s',
      ours,
      baseline: rawAcks,
      baselineName: 'raw pubAckPublisher',
      higherIsBetter: true,
    },
    {
      name: 'consume + ack (32 workers, next())',
      unit: 'msg/s',
      ours: oursConsume,
      baseline: rawConsume,
      baselineName: 'raw consume() batch 256',
      higherIsBetter: true,
      notes: 'startConsumer pulls one message per worker per request, trading throughput for bounded in-flight work',
    },
  ];
}
