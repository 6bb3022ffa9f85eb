import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { ensureStream, type Messaging } from '@reelforge/messaging';
import { STREAMS } from '@reelforge/contracts';
import type { Logger } from 'pino';
import { STATUS_SOURCES, toStatusEvent } from './status-event.ts';
import type { SubscriptionRegistry } from './subscription-registry.ts';

/**
 * Reads every status fact from TASKS and CONTENT with ordered (ephemeral) consumers and dispatches
 * it to this instance's subscribers. Each gateway instance reads the streams itself, so every
 * instance delivers to its own sockets; nothing is shared between instances.
 */
export async function startStatusFanout(
  m: Messaging,
  registry: SubscriptionRegistry,
  log: Logger,
  replicas: number,
): Promise<{ stop(): Promise<void>; check(): Promise<void> }> {
  await ensureStream(m, STREAMS.TASKS, { replicas, createOnly: true });
  await ensureStream(m, STREAMS.CONTENT, { replicas, createOnly: true });
  const iterators: ConsumerMessages[] = [];
  const loops: Promise<void>[] = [];
  // Why each source cannot deliver right now (readiness reports it); cleared once it works again.
  const trouble = new Map<string, string>();
  let stopping = false;
  for (const source of STATUS_SOURCES) {
    const consumer = await m.js.consumers.get(m.stream(source.stream), {
      filter_subjects: m.subject(source.filter),
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume();
    iterators.push(messages);
    void (async () => {
      for await (const s of messages.status()) {
        if (
          s.type === 'stream_not_found' ||
          s.type === 'consumer_not_found' ||
          s.type === 'consumer_deleted' ||
          s.type === 'heartbeats_missed'
        )
          trouble.set(source.stream, s.type.replaceAll('_', ' '));
        else if (s.type === 'ordered_consumer_recreated' || s.type === 'next' || s.type === 'heartbeat')
          trouble.delete(source.stream);
      }
    })().catch(() => undefined);
    loops.push(
      (async () => {
        for await (const msg of messages) {
          let event: unknown;
          try {
            event = JSON.parse(new TextDecoder().decode(msg.data));
          } catch {
            continue;
          }
          const status = toStatusEvent(event, { stream: source.stream, seq: msg.info.streamSequence });
          if (status) registry.dispatch(status);
        }
        if (!stopping) throw new Error('the consumer ended');
      })().catch((err: unknown) => {
        // Live status no longer reaches this instance's sockets: not ready until restarted.
        trouble.set(source.stream, `stopped (${String(err)})`);
        log.error({ err: String(err), stream: source.stream }, 'status fan-out stopped');
      }),
    );
  }
  return {
    /** Readiness: fails while a source's consumer has stopped or cannot read its stream. */
    check: async () => {
      if (trouble.size)
        throw new Error(`status fan-out: ${[...trouble].map(([stream, why]) => `${stream} ${why}`).join('; ')}`);
    },
    stop: async () => {
      stopping = true;
      for (const it of iterators) it.stop();
      await Promise.all(loops);
    },
  };
}
