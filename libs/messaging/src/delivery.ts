import type { Msg, MsgHdrs } from '@nats-io/transport-node';

/** Where a JetStream message came from, read off its reply subject. */
export interface DeliveryInfo {
  stream: string;
  consumer: string;
  /** 1 for the first delivery. */
  deliveryCount: number;
  streamSequence: number;
}

/**
 * A message delivered by a pull consumer, settled by publishing to its reply subject (the JetStream
 * ack protocol). nats.js keeps its own wrapper private, and the slot-gated pull needs one more verb:
 * `ackAndPull`, which acks and asks for the next messages in a single publish (`+NXT`).
 */
export interface Delivery {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly info: DeliveryInfo;
  ack(): void;
  /** Acks and requests `request` (a pull request body) to be delivered to `inbox`. */
  ackAndPull(request: string, inbox: string): void;
  /** Hands the message back, for redelivery after `delayMs` (at once when 0 or absent). */
  nak(delayMs?: number): void;
  /** Resets the server's ack_wait timer: the message is still being worked on. */
  working(): void;
  /** Tells the server never to deliver the message again. */
  term(reason?: string): void;
}

const encoder = new TextEncoder();
const ACK = encoder.encode('+ACK');
const NAK = encoder.encode('-NAK');
const WPI = encoder.encode('+WPI');
const TERM = encoder.encode('+TERM');

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (9 tokens) and the
 * newer form with a domain and an account hash in front of the stream (12 or more tokens).
 */
export function parseDeliveryInfo(reply: string): DeliveryInfo | undefined {
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const at = t.length === 9 ? 2 : t.length >= 12 ? 4 : -1;
  if (at < 0) return undefined;
  const deliveryCount = Number(t[at + 2]);
  const streamSequence = Number(t[at + 3]);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSequence)) return undefined;
  return { stream: t[at]!, consumer: t[at + 1]!, deliveryCount, streamSequence };
}

/** Wraps a message received on a pull inbox; undefined when it is not a JetStream delivery. */
export function toDelivery(msg: Msg): Delivery | undefined {
  const reply = msg.reply;
  const info = reply ? parseDeliveryInfo(reply) : undefined;
  if (!reply || !info) return undefined;
  // Only the first settlement counts; an in-progress ack does not settle.
  let settled = false;
  const settle = (payload: Uint8Array, inbox?: string) => {
    if (settled) return;
    settled = true;
    msg.respond(payload, inbox ? { reply: inbox } : undefined);
  };
  return {
    subject: msg.subject,
    data: msg.data,
    headers: msg.headers,
    info,
    ack: () => settle(ACK),
    ackAndPull: (request, inbox) => settle(encoder.encode(`+NXT ${request}`), inbox),
    nak: (delayMs) =>
      settle(delayMs ? encoder.encode(`-NAK ${JSON.stringify({ delay: Math.round(delayMs * 1e6) })}`) : NAK),
    working: () => {
      if (!settled) msg.respond(WPI);
    },
    term: (reason) => settle(reason ? encoder.encode(`+TERM ${reason}`) : TERM),
  };
}
