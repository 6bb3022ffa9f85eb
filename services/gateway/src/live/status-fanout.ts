import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { ensureStream, type Messaging } from '@reelforge/messaging';
import { STREAMS } from '@reelforge/contracts';
import type { Logger } from 'pino';
import { STATUS_SOURCES, toStatusEvent } from './status-event.ts';
import { parseStatusFact, type StatusFact } from './status-fact.ts';
import type { SubscriptionRegistry } from './subscription-registry.ts';

/**
 * Told every TASKS fact in stream order, and whether the consumer has delivered all the stream
 * held (the task read model serves from its cache only then).
 */
export interface TasksFollower {
  apply(fact: StatusFact | undefined): void;
  /** Whether a fact about this task matters to it (facts about no watched task need not be parsed). */
  watches(taskId: string): boolean;
  caughtUp(): void;
  behind(): void;
  lapse(): void;
}

/**
 * Whether a fact (JSON, not yet validated) concerns anyone here: a subscriber of its account,
 * generation or task, or the read model's view of (or read in flight for) its task. Only the ids
 * are read, so a malformed fact is still refused by the parse it then gets; one no one wants is
 * dropped unread, as its dispatch would have reached no one.
 */
export function wanted(
  raw: unknown,
  registry: Pick<SubscriptionRegistry, 'has'>,
  follower?: Pick<TasksFollower, 'watches'>,
): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const { accountId, data } = raw as { accountId?: unknown; data?: unknown };
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const ids = [accountId, d.taskId, d.generationId, d.id];
  if (follower && typeof d.taskId === 'string' && follower.watches(d.taskId)) return true;
  return ids.some((id) => typeof id === 'string' && registry.has(id));
}

/** Consumer notifications after which facts may have been missed or are not flowing. */
const LAPSES = new Set([
  'heartbeats_missed',
  'consumer_not_found',
  'stream_not_found',
  'consumer_deleted',
  'reset',
  'ordered_consumer_recreated',
  'no_responders',
  'exceeded_limits',
]);

/**
 * Reads every status fact from TASKS and CONTENT with ordered (ephemeral) consumers and dispatches
 * it to this instance's subscribers. Each gateway instance reads the streams itself, so every
 * instance delivers to its own sockets; nothing is shared between instances. `tasks` follows the
 * TASKS consumer (the task read model).
 */
export async function startStatusFanout(
  m: Messaging,
  registry: SubscriptionRegistry,
  log: Logger,
  replicas: number,
  tasks?: TasksFollower,
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
    const follower = source.stream === STREAMS.TASKS.name ? tasks : undefined;
    // The consumer exists and delivers only what comes after it: nothing is behind yet.
    follower?.caughtUp();
    // Messages this loop has taken from the iterator. What is received and not yet taken is counted
    // from it rather than with nats.js's getPending(), which stays one too high for the rest of an
    // iterator batch in which a queued pull request ran before a message (seen in tests: the read
    // model then stayed "behind" until the next idle heartbeat, 15 s or more).
    let taken = 0;
    const waiting = () => messages.getReceived() - taken;
    // Messages received before a lapse say nothing about what the lapse may have skipped: only a
    // later one's `pending` (or a heartbeat) can tell the follower it is caught up again.
    let floor = 0;
    const lapse = () => {
      floor = messages.getReceived();
      follower?.lapse();
    };
    // Disconnected, the consumer delivers nothing and may be gone when we are back (ends with the connection).
    if (follower)
      void (async () => {
        for await (const s of m.nc.status()) if (s.type === 'disconnect' || s.type === 'reconnect') lapse();
      })().catch(() => undefined);
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
        if (!follower) continue;
        if (LAPSES.has(s.type)) lapse();
        // The server sends an idle heartbeat only when it has nothing more to deliver; messages
        // received but not yet read keep us behind until the last of them is.
        else if (s.type === 'heartbeat' && waiting() === 0) follower.caughtUp();
      }
    })().catch(() => undefined);
    loops.push(
      (async () => {
        for await (const msg of messages) {
          taken++;
          let event: unknown;
          try {
            event = JSON.parse(new TextDecoder().decode(msg.data));
          } catch {
            event = undefined;
          }
          // Parsed once for both readers, and only when one of them wants it: most facts concern
          // tasks no one here watches (the schema check and clean were a fifth of the gateway's CPU).
          const fact = wanted(event, registry, follower) ? parseStatusFact(event) : undefined;
          if (follower) {
            // The read model first: a client told of this fact then reads a task view that knows it.
            follower.apply(fact);
            const last = msg.info.pending === 0 && waiting() === 0;
            if (last && taken > floor) follower.caughtUp();
            else follower.behind();
          }
          const status = toStatusEvent(fact, { stream: source.stream, seq: msg.info.streamSequence });
          if (status) registry.dispatch(status);
        }
        if (!stopping) throw new Error('the consumer ended');
      })().catch((err: unknown) => {
        // Live status no longer reaches this instance's sockets: not ready until restarted.
        follower?.lapse();
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
      tasks?.lapse();
      for (const it of iterators) it.stop();
      await Promise.all(loops);
    },
  };
}
