import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Namespace } from '@reelforge/contracts';
import { pubAckPublisher, type PubAckPublisher } from './pub-acks.ts';

/**
 * Everything messaging code needs, passed in rather than imported: no module holds a connection, so
 * one process can run several services or test stacks side by side, each with its own. The namespace
 * prefixes stream/durable names and subjects so several stacks (or tests) share one server.
 */
export interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** PubAck'd publishes without nats.js's per-request machinery (pub-acks.ts). */
  pubAcks: PubAckPublisher;
  ns: Namespace;
  /** Name of the service using this context: the envelope `source` and the queue group. */
  service: string;
  subject(s: string): string;
  stream(name: string): string;
  /** The durable consumers this context ensured (unprefixed names), for metrics. */
  durables: Map<string, { stream: string; durable: string }>;
}

export async function createMessaging(nc: NatsConnection, service: string, ns: Namespace): Promise<Messaging> {
  return {
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    pubAcks: pubAckPublisher(nc),
    ns,
    service,
    subject: (s) => `${ns.subjectPrefix}${s}`,
    stream: (name) => `${ns.streamPrefix}${name}`,
    durables: new Map(),
  };
}

/** Builds a namespace from one token (e.g. `t42` → streams `T42_…`, subjects `t42.…`). */
export function namespaceFrom(token: string | undefined): Namespace {
  if (!token) return { streamPrefix: '', subjectPrefix: '' };
  if (!/^[A-Za-z0-9_-]+$/.test(token))
    throw new Error(`NATS_NAMESPACE=${JSON.stringify(token)} may only hold letters, digits, _ and -`);
  return { streamPrefix: `${token.toUpperCase()}_`, subjectPrefix: `${token}.` };
}
