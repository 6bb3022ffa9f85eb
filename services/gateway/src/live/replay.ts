import { DeliverPolicy } from '@nats-io/jetstream';
import type { Messaging } from '@reelforge/messaging';
import { STATUS_SOURCES, toStatusEvent, type Cursor, type StatusEvent } from './status-event.ts';
import { parseStatusFact } from './status-fact.ts';

/** At most this many stored facts are replayed for one resume (older ones: the snapshot covers them). */
const MAX_REPLAY = 5000;

/**
 * Reads an account's stored status facts after `since` from TASKS and CONTENT (JetStream keeps
 * them for days) with short-lived ordered consumers, and returns those `keep` selects, in stream
 * order, task facts before generation facts. This is what a reconnecting client missed.
 */
export async function replayStatus(
  m: Messaging,
  accountId: string,
  since: Cursor,
  keep: (e: StatusEvent) => boolean,
): Promise<StatusEvent[]> {
  const out: StatusEvent[] = [];
  for (const source of STATUS_SOURCES) {
    const stream = m.stream(source.stream);
    const info = await m.jsm.streams.info(stream);
    const last = info.state.last_seq;
    const from = Math.max(since[source.stream] + 1, info.state.first_seq);
    if (from > last) continue;
    const consumer = await m.js.consumers.get(stream, {
      filter_subjects: m.subject(source.perAccount(accountId)),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    let read = 0;
    while (read < MAX_REPLAY) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
      let got = 0;
      let done = false;
      for await (const msg of batch) {
        got++;
        read++;
        const seq = msg.info.streamSequence;
        let event: unknown;
        try {
          event = JSON.parse(new TextDecoder().decode(msg.data));
        } catch {
          event = undefined;
        }
        const status = toStatusEvent(parseStatusFact(event), { stream: source.stream, seq });
        if (status && keep(status)) out.push(status);
        if (seq >= last || msg.info.pending === 0) done = true;
      }
      if (done || got === 0) break;
    }
    await consumer.delete().catch(() => undefined);
  }
  // Task facts first, then generation facts: a generation's update always follows the task
  // events that caused it, so this keeps cause before effect for the client.
  return out;
}
