import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StreamDeclaration } from '@reelforge/contracts';
import type { Messaging } from './context.ts';

const DUPLICATE_WINDOW_MS = 2 * 60_000;

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /not found/i.test(err.message);
}

/**
 * Creates the stream, or updates its mutable settings when it exists. Called by the stream's owner
 * at start (and, for the shared DLQ, by every service that dead-letters, create-only).
 */
export async function ensureStream(
  m: Messaging,
  decl: StreamDeclaration,
  options: { replicas: number; createOnly?: boolean; maxBytesCap?: number },
): Promise<void> {
  const cap = options.maxBytesCap && options.maxBytesCap > 0 ? options.maxBytesCap : undefined;
  const config: Partial<StreamConfig> & { name: string } = {
    name: m.stream(decl.name),
    subjects: decl.subjects.map((s) => m.subject(s)),
    retention: decl.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    // A full fact stream drops its oldest facts; a full work queue refuses new jobs instead (the
    // outbox keeps them and retries), because dropping a job would lose a task.
    discard: decl.retention === 'workqueue' ? DiscardPolicy.New : DiscardPolicy.Old,
    max_age: nanos(decl.maxAgeMs),
    max_bytes: cap ? Math.min(decl.maxBytes ?? cap, cap) : (decl.maxBytes ?? -1),
    max_msgs: decl.maxMsgs ?? -1,
    num_replicas: options.replicas,
    // The server refuses a duplicate window longer than max_age (0 = unlimited age).
    duplicate_window: nanos(decl.maxAgeMs > 0 ? Math.min(DUPLICATE_WINDOW_MS, decl.maxAgeMs) : DUPLICATE_WINDOW_MS),
    description: decl.description,
  };
  try {
    const info = await m.jsm.streams.info(config.name);
    if (options.createOnly) return;
    if (info.config.retention !== config.retention) {
      throw new Error(
        `stream ${config.name} exists with retention ${info.config.retention}, declared ${config.retention}: migrate it by hand`,
      );
    }
    await m.jsm.streams.update(config.name, { ...info.config, ...config });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await m.jsm.streams.add(config);
    } catch (addErr) {
      // Another replica created it between our info and add.
      if (!(addErr instanceof Error && /already in use|exists/i.test(addErr.message))) throw addErr;
    }
  }
}

export interface DurableConsumerDeclaration {
  stream: string;
  durable: string;
  filterSubject: string;
  /** How long a delivered message may go without ack or in-progress ack before redelivery. */
  ackWaitMs: number;
  /** Bound on unacked messages across all instances of the consumer. */
  maxAckPending: number;
  /** Where a new durable starts; facts streams start with new messages. */
  deliverPolicy?: 'all' | 'new';
}

/**
 * Creates or updates a durable pull consumer with explicit acks. `max_deliver` is left unlimited
 * on purpose: the consumer loop itself dead-letters at its policy's limit (see consume.ts), so no
 * message is ever stranded in a work queue by the server's own limit (NATS 2.9 keeps those forever).
 */
export async function ensureConsumer(m: Messaging, decl: DurableConsumerDeclaration): Promise<void> {
  const stream = m.stream(decl.stream);
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: `${m.ns.streamPrefix}${decl.durable}`,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(decl.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: decl.maxAckPending,
    filter_subject: m.subject(decl.filterSubject),
    deliver_policy: decl.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
  };
  try {
    await m.jsm.consumers.info(stream, config.durable_name);
    await m.jsm.consumers.update(stream, config.durable_name, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
      max_deliver: config.max_deliver,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await m.jsm.consumers.add(stream, config);
  }
  m.durables.set(`${decl.stream}/${decl.durable}`, { stream: decl.stream, durable: decl.durable });
}
