import type { Msg, NatsConnection, Status, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { toDelivery, type Delivery } from './delivery.ts';

export interface SlotPullerOptions {
  nc: NatsConnection;
  /** Full (namespaced) stream and durable consumer names. */
  stream: string;
  durable: string;
  /** Messages this process works on at once: never more are requested than there are free slots. */
  slots: number;
  /** How long one pull request waits on the server for messages. */
  expiresMs: number;
  /** In-progress ack period for a message that arrived while every slot was taken. */
  heartbeatMs: number;
  /** Called with each message that takes a slot; the caller frees it with `release` or `ackAndRelease`. */
  onMessage(delivery: Delivery): void;
  log: Logger;
}

export interface SlotPuller {
  /** Frees the slot of a message the caller has settled. */
  release(): void;
  /** Acks `delivery` and frees its slot, asking for the next message in the same publish. If the
   *  ack throws, the slot is still taken: free it with `release`. */
  ackAndRelease(delivery: Delivery): void;
  /** Stops asking for messages; anything that arrives after this is handed back at once. */
  stop(): Promise<void>;
}

/** Extra wait past a request's expiry before its answer counts as lost. */
const LOST_ANSWER_GRACE_MS = 5_000;
/** Pause before asking again after the server refused a pull request. */
const REFUSED_RETRY_MS = 1_000;

/**
 * A pull consumer with one long-lived inbox that asks the server for exactly as many messages as
 * there are free slots. nats.js's `next()` subscribes and unsubscribes a fresh inbox for every
 * message; here a handled message's ack carries the request for the next one (`+NXT`), so a busy
 * worker sends one publish per message. Nothing is prefetched: a buffered message's ack_wait would
 * run while it waited for a slot.
 *
 * The count of messages asked for and not yet received is exact in the normal path: each delivery
 * takes one off, and a request that expires answers 408 with how many it did not deliver. Anything
 * else (a refused request, a reconnect, an answer that never came) resets the count; a message that
 * then arrives with no free slot waits, with in-progress acks, for the next slot to free up.
 */
export function startSlotPuller(o: SlotPullerOptions): SlotPuller {
  const inbox = createInbox();
  const pullSubject = `$JS.API.CONSUMER.MSG.NEXT.${o.stream}.${o.durable}`;
  const expiresNs = o.expiresMs * 1e6;
  const requestOne = JSON.stringify({ batch: 1, expires: expiresNs });
  const waiting: { delivery: Delivery; heartbeat: NodeJS.Timeout }[] = [];
  let taken = 0;
  let requested = 0;
  let lastRequestAt = 0;
  let stopped = false;
  let topUpQueued = false;
  let retryTimer: NodeJS.Timeout | undefined;

  function topUp(): void {
    if (topUpQueued || stopped) return;
    // Slots freed in the same tick become one request.
    topUpQueued = true;
    queueMicrotask(() => {
      topUpQueued = false;
      const free = o.slots - taken - requested;
      if (stopped || free <= 0 || retryTimer) return;
      try {
        o.nc.publish(pullSubject, JSON.stringify({ batch: free, expires: expiresNs }), { reply: inbox });
      } catch (err) {
        // The connection is closed: nothing more will come, and a throw here would end the process.
        o.log.error({ err: (err as Error).message }, 'could not ask for messages');
        return;
      }
      requested += free;
      lastRequestAt = Date.now();
    });
  }

  function forgetRequests(why: string, retryAfterMs: number): void {
    o.log.warn({ requested, why }, 'pull requests reset');
    requested = 0;
    if (retryTimer || stopped) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      topUp();
    }, retryAfterMs);
  }

  function onStatus(msg: Msg): void {
    const headers = msg.headers!;
    if (headers.code === 100) return; // idle heartbeat
    const left = Number(headers.get('Nats-Pending-Messages'));
    if (headers.has('Nats-Pending-Messages') && Number.isSafeInteger(left)) {
      requested = Math.max(0, requested - left);
      // An expired request: the usual answer when idle.
      if (headers.code === 408) {
        topUp();
        return;
      }
    }
    // 409 (consumer deleted, a limit exceeded), 400, 503: the request is not waiting on the server.
    forgetRequests(`${headers.code} ${headers.description}`, REFUSED_RETRY_MS);
  }

  function take(delivery: Delivery): void {
    taken++;
    try {
      o.onMessage(delivery);
    } catch (err) {
      o.log.error({ err }, 'message handler threw synchronously');
    }
  }

  function onInbox(err: Error | null, msg: Msg): void {
    if (err) {
      o.log.error({ err: err.message }, 'pull inbox closed');
      return;
    }
    if (!msg.reply && msg.headers?.code) {
      onStatus(msg);
      return;
    }
    const delivery = toDelivery(msg);
    if (!delivery) {
      o.log.warn({ subject: msg.subject }, 'ignored a message on the pull inbox that is not a JetStream delivery');
      return;
    }
    if (requested > 0) requested--;
    if (stopped) {
      delivery.nak();
      return;
    }
    if (taken < o.slots) {
      take(delivery);
      return;
    }
    // More arrived than asked for (after a reset): keep it ours, and alive, until a slot frees up.
    waiting.push({ delivery, heartbeat: setInterval(() => delivery.working(), o.heartbeatMs) });
  }

  function release(): void {
    taken--;
    const next = waiting.shift();
    if (next && !stopped) {
      clearInterval(next.heartbeat);
      take(next.delivery);
      return;
    }
    topUp();
  }

  const sub: Subscription = o.nc.subscribe(inbox, { callback: onInbox });

  // Every request is answered by its expiry: messages, or a 408 saying how many it did not deliver.
  // If no answer came (a reconnect to another server, a lost status), ask afresh.
  const sweep = setInterval(
    () => {
      if (requested > 0 && Date.now() - lastRequestAt > o.expiresMs + LOST_ANSWER_GRACE_MS)
        forgetRequests('no answer by the requests expiry', 0);
      else topUp();
    },
    Math.min(o.expiresMs, 10_000),
  );
  sweep.unref();

  const statuses = o.nc.status() as AsyncIterable<Status> & { stop?: () => void };
  void (async () => {
    for await (const s of statuses) {
      // The server may not have kept the requests across the reconnect.
      if (s.type === 'reconnect') forgetRequests('reconnected', 0);
    }
  })();

  topUp();

  return {
    release,
    ackAndRelease(delivery) {
      if (stopped || waiting.length > 0) {
        delivery.ack();
        release();
        return;
      }
      // Published first: if it throws (connection closed), the caller frees the slot with release().
      delivery.ackAndPull(requestOne, inbox);
      taken--;
      requested++;
      lastRequestAt = Date.now();
    },
    async stop() {
      stopped = true;
      clearInterval(sweep);
      clearTimeout(retryTimer);
      statuses.stop?.();
      for (const { delivery, heartbeat } of waiting.splice(0)) {
        clearInterval(heartbeat);
        delivery.nak();
      }
      // Unsubscribes, then hands back (nak, above) whatever the server sent before it saw that.
      await sub.drain();
    },
  };
}
