// The job lifecycle on plain JetStream, the limit the platform's messaging can reach: publish to a
// work-queue stream (awaiting the PubAck) → a durable pull consumer, explicit ack, 16 in flight,
// whose handler publishes one progress and one completion message to JetStream (each awaiting its
// PubAck) and acks → the producer sees the completion on a core subscription to its subject.
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import type { Done, JobTarget } from './job-load.ts';

export interface JetStreamTarget extends JobTarget {
  /** The streams' storage and retention, as the server reports them. */
  settings(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startJetStreamWorkQueue(options: {
  nc: NatsConnection;
  token: string;
  concurrency: number;
}): Promise<JetStreamTarget> {
  const { nc, token } = options;
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const jobs = `${token.toUpperCase()}_WQ_JOBS`;
  const updates = `${token.toUpperCase()}_WQ_UPDATES`;
  await jsm.streams.add({
    name: jobs,
    subjects: [`${token}.wq.jobs`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
  });
  await jsm.streams.add({
    name: updates,
    subjects: [`${token}.wq.progress`, `${token}.wq.done`],
    storage: StorageType.File,
  });
  await jsm.consumers.add(jobs, {
    durable_name: 'workers',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: options.concurrency,
    ack_wait: 30_000_000_000, // ns
  });

  const waiting = new Map<number, Done>();
  const completions = nc.subscribe(`${token}.wq.done`, {
    callback: (err, msg) => {
      if (err) return;
      const { n } = msg.json<{ n: number }>();
      waiting.get(n)?.();
      waiting.delete(n);
    },
  });
  await nc.flush(); // the subscription is in place before the first job goes out

  const messages = await (await js.consumers.get(jobs, 'workers')).consume({ max_messages: options.concurrency });
  const handle = async (msg: JsMsg) => {
    try {
      const { n } = msg.json<{ n: number }>();
      await js.publish(`${token}.wq.progress`, JSON.stringify({ n, percent: 50 }));
      await js.publish(`${token}.wq.done`, JSON.stringify({ n, ok: true }));
      msg.ack();
    } catch {
      msg.nak();
    }
  };
  const workers = (async () => {
    for await (const msg of messages) void handle(msg); // max_ack_pending bounds how many run at once
  })();

  let next = 0;
  return {
    async submit(size, done) {
      const ns = Array.from({ length: size }, () => next++);
      for (const n of ns) waiting.set(n, done);
      await Promise.all(ns.map((n) => js.publish(`${token}.wq.jobs`, JSON.stringify({ n, pad: 'x'.repeat(400) }))));
    },
    async settings() {
      const out: Record<string, string> = {};
      for (const name of [jobs, updates]) {
        const { config } = await jsm.streams.info(name);
        out[name.slice(token.length + 1).toLowerCase()] = `storage ${config.storage}, retention ${config.retention}`;
      }
      return out;
    },
    async close() {
      messages.stop();
      await workers;
      completions.unsubscribe();
      await jsm.streams.delete(jobs);
      await jsm.streams.delete(updates);
    },
  };
}
