import { setTimeout as sleepFor } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import { Type, type Static } from '@sinclair/typebox';
import { STREAMS, envelopeOf, makeEnvelope, uuidv7, type StreamDeclaration } from '@reelforge/contracts';
import {
  PermanentError,
  createMessaging,
  ensureConsumer,
  ensureStream,
  namespaceFrom,
  openNats,
  publishEvent,
  startConsumer,
  type ConsumerOptions,
  type DeadLetter,
  type HandlerContext,
  type Messaging,
  type RunningConsumer,
} from '@reelforge/messaging';
import { eventually, memoryLogger, uniqueToken, deferred } from '@reelforge/testing';

// The consumer loop against a real JetStream server. Each test gets its own namespace (streams
// `T…_WORK` / `T…_DLQ`, subjects `t….work.>`), so nothing is shared between tests.

const WorkItem = envelopeOf(
  'test.work.v1',
  Type.Object({ n: Type.Integer(), label: Type.String() }, { additionalProperties: false }),
);
type WorkItem = Static<typeof WorkItem>;

const WORK: StreamDeclaration = {
  name: 'WORK',
  owner: 'shared',
  subjects: ['work.>'],
  retention: 'workqueue',
  maxAgeMs: 60_000,
  description: 'test',
};
const DURABLE = 'worker';
const tracer = trace.getTracer('test');

/**
 * Collects messages from a core subscription and lets a test await a condition on them. The
 * deadline only turns a missing event into a readable failure; nothing waits on it otherwise.
 */
class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { ok: (items: T[]) => boolean; done: () => void }[] = [];
  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters])
      if (w.ok(this.items)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.done();
      }
  }
  until(what: string, ok: (items: T[]) => boolean, deadlineMs = 15_000): Promise<T[]> {
    if (ok(this.items)) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} within ${deadlineMs} ms; saw ${JSON.stringify(this.items)}`)),
        deadlineMs,
      );
      this.waiters.push({
        ok,
        done: () => {
          clearTimeout(timer);
          resolve(this.items);
        },
      });
    });
  }
}

interface AckOnWire {
  /** '+ACK', '-NAK', '+WPI' or '+TERM'. */
  kind: string;
  body: string;
  /** Delivery count encoded in the ack subject. */
  delivery: number;
}

interface Env {
  token: string;
  m: Messaging;
  /** Every ack the consumer sends for this test's durable, as seen on the wire (`$JS.ACK.…`). */
  acks: Recorder<AckOnWire>;
  /** Every dead letter published in this test's namespace. */
  dlq: Recorder<{ subject: string; letter: DeadLetter; reason: string | undefined }>;
  log: ReturnType<typeof memoryLogger>;
}

let nc: NatsConnection;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  nc = await openNats(inject('natsUrl'));
});

afterEach(async () => {
  // Stop consumers before their streams go away, in reverse order of creation.
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

afterAll(async () => {
  await nc?.close();
});

async function setup(options: { ackWaitMs?: number } = {}): Promise<Env> {
  const token = uniqueToken();
  const m = await createMessaging(nc, 'test', namespaceFrom(token));
  await ensureStream(m, WORK, { replicas: 1 });
  await ensureStream(m, STREAMS.DLQ, { replicas: 1, createOnly: true });
  cleanups.push(
    () => m.jsm.streams.delete(m.stream(WORK.name)),
    () => m.jsm.streams.delete(m.stream(STREAMS.DLQ.name)),
  );
  await ensureConsumer(m, {
    stream: WORK.name,
    durable: DURABLE,
    filterSubject: 'work.>',
    ackWaitMs: options.ackWaitMs ?? 30_000,
    maxAckPending: 100,
  });

  const stream = m.stream(WORK.name);
  const durable = `${m.ns.streamPrefix}${DURABLE}`;
  const acks = new Recorder<AckOnWire>();
  // The consumer acks by publishing to the message's reply subject `$JS.ACK.<stream>.<durable>.<delivered>.…`;
  // a plain subscriber sees the same publish, so every ack, nak, in-progress ack and term is countable.
  const ackSub = nc.subscribe(`$JS.ACK.${stream}.${durable}.>`, {
    callback: (_err, msg: Msg) => {
      const body = msg.string();
      // `+NXT` acks and asks for the next message in one publish: for the server it is an ack.
      const kind = body.startsWith('+NXT') ? '+ACK' : body.split(' ')[0]!;
      acks.push({ kind, body, delivery: Number(msg.subject.split('.')[4]) });
    },
  });
  const dlq = new Recorder<{ subject: string; letter: DeadLetter; reason: string | undefined }>();
  const dlqSub = nc.subscribe(m.subject('dlq.>'), {
    callback: (_err, msg: Msg) =>
      dlq.push({
        subject: msg.subject,
        letter: msg.json<DeadLetter>(),
        reason: msg.headers?.get('Reelforge-Dlq-Reason'),
      }),
  });
  cleanups.push(
    async () => ackSub.unsubscribe(),
    async () => dlqSub.unsubscribe(),
  );
  await nc.flush(); // the subscriptions are registered before anything is published
  return { token, m, acks, dlq, log: memoryLogger('test') };
}

async function start(
  env: Env,
  options: Partial<ConsumerOptions<typeof WorkItem>> & Pick<ConsumerOptions<typeof WorkItem>, 'handler'>,
): Promise<RunningConsumer> {
  const consumer = await startConsumer(env.m, {
    stream: WORK.name,
    durable: DURABLE,
    schema: WorkItem,
    concurrency: 1,
    retry: { initialDelayMs: 50, maxDelayMs: 1000, maxDeliveries: 5, jitter: 0 },
    heartbeatMs: 5_000,
    drainTimeoutMs: 10_000,
    log: env.log.log,
    tracer,
    ...options,
  });
  cleanups.push(() => consumer.stop());
  return consumer;
}

function item(n: number): WorkItem {
  return makeEnvelope('test.work.v1', 'test', uuidv7(), { n, label: `item ${n}` });
}

async function streamMessages(env: Env, name: string): Promise<number> {
  return (await env.m.jsm.streams.info(env.m.stream(name))).state.messages;
}

function dlqSubject(env: Env): string {
  return env.m.subject(`dlq.${env.m.stream(WORK.name)}.${env.m.ns.streamPrefix}${DURABLE}`);
}

const kinds = (acks: AckOnWire[]) => acks.map((a) => a.kind);

describe('startConsumer', () => {
  it('acks a handled message exactly once and leaves the work queue empty', async () => {
    const env = await setup();
    const seen: { event: WorkItem; ctx: HandlerContext }[] = [];
    const consumer = await start(env, { handler: async (event, ctx) => void seen.push({ event, ctx }) });

    const event = item(1);
    const pub = await publishEvent(env.m, 'work.a', event, WorkItem);
    expect(pub).toMatchObject({ stream: env.m.stream(WORK.name), seq: 1, duplicate: false });

    await env.acks.until('+ACK', (a) => a.some((x) => x.kind === '+ACK'));
    await consumer.stop();

    expect(seen).toHaveLength(1);
    expect(seen[0]!.event).toEqual(event);
    expect(seen[0]!.ctx).toMatchObject({ deliveryCount: 1, lastAttempt: false, subject: env.m.subject('work.a') });
    expect(seen[0]!.ctx.signal.aborted).toBe(false);
    expect(kinds(env.acks.items)).toEqual(['+ACK']);
    // The server applies an ack asynchronously (its consumer's ack queue) and announces nothing when
    // the work queue drops the message, so this one server-side state is polled.
    await eventually(
      'the work queue to drop the acked message',
      async () => ((await streamMessages(env, WORK.name)) === 0 ? true : undefined),
      5_000,
    );
    const info = await env.m.jsm.consumers.info(env.m.stream(WORK.name), `${env.m.ns.streamPrefix}${DURABLE}`);
    expect(info.delivered.consumer_seq).toBe(1); // one delivery, no redelivery
    expect(info.num_ack_pending).toBe(0);
    expect(env.dlq.items).toEqual([]);
  });

  it('retries a failing handler with the policy backoff and acks on the delivery that succeeds', async () => {
    const env = await setup();
    const calls: { delivery: number; at: number }[] = [];
    const consumer = await start(env, {
      retry: { initialDelayMs: 50, maxDelayMs: 1000, maxDeliveries: 5, jitter: 0 },
      handler: async (_event, ctx) => {
        calls.push({ delivery: ctx.deliveryCount, at: performance.now() });
        if (ctx.deliveryCount < 3) throw new Error(`flaky ${ctx.deliveryCount}`);
      },
    });

    await publishEvent(env.m, 'work.a', item(1), WorkItem);
    await env.acks.until('+ACK', (a) => a.some((x) => x.kind === '+ACK'));
    await consumer.stop();

    expect(calls.map((c) => c.delivery)).toEqual([1, 2, 3]);
    // Backoff 50 ms after delivery 1, 100 ms after delivery 2 (jitter 0): the server holds the message
    // at least that long; the upper bound only shows it was the nak delay, not the 30 s ack_wait.
    const gap1 = calls[1]!.at - calls[0]!.at;
    const gap2 = calls[2]!.at - calls[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(45);
    expect(gap2).toBeGreaterThanOrEqual(95);
    expect(gap1).toBeLessThan(2_000);
    expect(gap2).toBeLessThan(2_000);
    expect(env.acks.items.map((a) => [a.body, a.delivery])).toEqual([
      ['-NAK {"delay":50000000}', 1],
      ['-NAK {"delay":100000000}', 2],
      ['+NXT {"batch":1,"expires":30000000000}', 3], // the ack carries the next pull request
    ]);
    const retries = env.log.lines().filter((l) => l.msg === 'handler failed; will retry');
    expect(retries.map((l) => [l.delivery, l.delayMs])).toEqual([
      [1, 50],
      [2, 100],
    ]);
    expect(env.dlq.items).toEqual([]);
  });

  it('dead-letters a PermanentError at once, with the original payload, and removes it from the work queue', async () => {
    const env = await setup();
    let calls = 0;
    const onDeadLetter: unknown[][] = [];
    const consumer = await start(env, {
      handler: async () => {
        calls++;
        throw new PermanentError('BAD_INPUT', 'this source can never be used');
      },
      onDeadLetter: async (event, reason, error) => void onDeadLetter.push([event, reason, error]),
    });

    const event = item(7);
    await publishEvent(env.m, 'work.a', event, WorkItem);
    const [dead] = await env.dlq.until('a dead letter', (d) => d.length > 0);
    await consumer.stop(); // settling (term + delete from the work queue) has finished

    expect(calls).toBe(1);
    expect(dead!.subject).toBe(dlqSubject(env));
    expect(dead!.subject.startsWith(`${env.token}.dlq.`)).toBe(true);
    expect(dead!.reason).toBe('permanent');
    expect(dead!.letter).toMatchObject({
      stream: env.m.stream(WORK.name),
      consumer: `${env.m.ns.streamPrefix}${DURABLE}`,
      subject: env.m.subject('work.a'),
      streamSequence: 1,
      deliveries: 1,
      reason: 'permanent',
      error: { code: 'BAD_INPUT', message: 'this source can never be used' },
      payloadEncoding: 'utf8',
    });
    expect(JSON.parse(dead!.letter.payload)).toEqual(event);
    expect(Number.isNaN(Date.parse(dead!.letter.failedAt))).toBe(false);
    expect(onDeadLetter).toEqual([
      [event, 'permanent', { code: 'BAD_INPUT', message: 'this source can never be used' }],
    ]);

    // Kept in the DLQ stream, not only published.
    const stored = await env.m.jsm.streams.getMessage(env.m.stream(STREAMS.DLQ.name), {
      last_by_subj: dlqSubject(env),
    });
    expect(stored?.json<DeadLetter>()).toEqual(dead!.letter);
    expect(await streamMessages(env, STREAMS.DLQ.name)).toBe(1);

    expect(kinds(env.acks.items)).toEqual(['+TERM']);
    expect(await streamMessages(env, WORK.name)).toBe(0);
  });

  it('dead-letters bad JSON, schema-invalid and binary payloads as invalid without calling the handler', async () => {
    const env = await setup();
    let calls = 0;
    const consumer = await start(env, { handler: async () => void calls++ });

    const notJson = await env.m.js.publish(env.m.subject('work.a'), 'not json {');
    const wrongShape = { ...item(1), data: { n: 'one', label: 'x' } };
    const invalid = await publishEvent(env.m, 'work.a', wrongShape); // no schema: goes out as is
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x81]);
    const bin = await env.m.js.publish(env.m.subject('work.a'), binary);

    const letters = await env.dlq.until('three dead letters', (d) => d.length === 3);
    await consumer.stop();

    expect(calls).toBe(0);
    const bySeq = new Map(letters.map((d) => [d.letter.streamSequence, d]));
    expect(bySeq.get(notJson.seq)).toMatchObject({
      reason: 'invalid',
      letter: {
        reason: 'invalid',
        error: { code: 'INVALID_JSON', message: 'payload is not JSON' },
        payload: 'not json {',
        payloadEncoding: 'utf8',
        deliveries: 1,
      },
    });
    const schemaLetter = bySeq.get(invalid.seq)!.letter;
    expect(schemaLetter).toMatchObject({
      reason: 'invalid',
      error: { code: 'INVALID_MESSAGE' },
      payloadEncoding: 'utf8',
    });
    expect(schemaLetter.error.message).toContain('/data/n');
    expect(JSON.parse(schemaLetter.payload)).toEqual(wrongShape);
    expect(bySeq.get(bin.seq)!.letter).toMatchObject({
      reason: 'invalid',
      error: { code: 'INVALID_JSON' },
      payload: Buffer.from(binary).toString('base64'),
      payloadEncoding: 'base64',
    });
    expect(kinds(env.acks.items)).toEqual(['+TERM', '+TERM', '+TERM']);
    expect(await streamMessages(env, WORK.name)).toBe(0);
  });

  it('dead-letters as max_deliveries after the policy allows no more deliveries', async () => {
    const env = await setup();
    const calls: { delivery: number; lastAttempt: boolean }[] = [];
    const consumer = await start(env, {
      retry: { initialDelayMs: 20, maxDelayMs: 100, maxDeliveries: 3, jitter: 0 },
      handler: async (_event, ctx) => {
        calls.push({ delivery: ctx.deliveryCount, lastAttempt: ctx.lastAttempt });
        throw new Error('still broken');
      },
    });

    const event = item(3);
    await publishEvent(env.m, 'work.a', event, WorkItem);
    const [dead] = await env.dlq.until('a dead letter', (d) => d.length > 0);
    await consumer.stop();

    expect(calls).toEqual([
      { delivery: 1, lastAttempt: false },
      { delivery: 2, lastAttempt: false },
      { delivery: 3, lastAttempt: true },
    ]);
    expect(dead!.letter).toMatchObject({
      reason: 'max_deliveries',
      deliveries: 3,
      error: { code: 'UNEXPECTED', message: 'still broken' },
    });
    expect(JSON.parse(dead!.letter.payload)).toEqual(event);
    expect(kinds(env.acks.items)).toEqual(['-NAK', '-NAK', '+TERM']);
    expect(env.dlq.items).toHaveLength(1);
    expect(await streamMessages(env, WORK.name)).toBe(0);
  });

  it('dead-letters a message already delivered past the limit (a handler that crashed) without running the handler', async () => {
    const env = await setup();
    // Two deliveries that were never settled by a handler (a worker crashing each time), forced here
    // by pulling and handing the message straight back.
    await publishEvent(env.m, 'work.a', item(4), WorkItem);
    const raw = await env.m.js.consumers.get(env.m.stream(WORK.name), `${env.m.ns.streamPrefix}${DURABLE}`);
    for (const expected of [1, 2]) {
      const msg = await raw.next({ expires: 5_000 });
      expect(msg?.info.deliveryCount).toBe(expected);
      msg!.nak();
    }

    let calls = 0;
    const consumer = await start(env, {
      retry: { initialDelayMs: 20, maxDelayMs: 100, maxDeliveries: 2, jitter: 0 },
      handler: async () => void calls++,
    });
    const [dead] = await env.dlq.until('a dead letter', (d) => d.length > 0);
    await consumer.stop();

    expect(calls).toBe(0);
    expect(dead!.letter).toMatchObject({ reason: 'max_deliveries', deliveries: 3, error: { code: 'MAX_DELIVERIES' } });
    expect(dead!.letter.error.message).toContain('delivered 2 times');
    expect(await streamMessages(env, WORK.name)).toBe(0);
  });

  it('keeps a handler that outlives ack_wait from being redelivered (in-progress acks)', async () => {
    const env = await setup({ ackWaitMs: 1_000 });
    const deliveries: number[] = [];
    const done = deferred();
    // Two slots: a second pull is always waiting, so a redelivery after ack_wait would reach it.
    const consumer = await start(env, {
      concurrency: 2,
      heartbeatMs: 300,
      handler: async (_event, ctx) => {
        deliveries.push(ctx.deliveryCount);
        await sleepFor(2_500); // the work itself: 2.5× the consumer's ack_wait
        done.resolve();
      },
    });

    await publishEvent(env.m, 'work.a', item(1), WorkItem);
    await done.promise;
    await env.acks.until('+ACK', (a) => a.some((x) => x.kind === '+ACK'));
    await consumer.stop();

    expect(deliveries).toEqual([1]);
    const wire = kinds(env.acks.items);
    expect(wire.filter((k) => k === '+WPI').length).toBeGreaterThanOrEqual(5);
    expect(wire.filter((k) => k !== '+WPI')).toEqual(['+ACK']);
    const info = await env.m.jsm.consumers.info(env.m.stream(WORK.name), `${env.m.ns.streamPrefix}${DURABLE}`);
    expect(info.delivered.consumer_seq).toBe(1); // the server never delivered it a second time
    expect(info.num_redelivered).toBe(0);
  });

  it('stop() waits for a running handler to finish, then acks its message', async () => {
    const env = await setup();
    const started = deferred();
    let finished = false;
    let sawAbort = false;
    const consumer = await start(env, {
      drainTimeoutMs: 10_000,
      handler: async (_event, ctx) => {
        started.resolve();
        await sleepFor(400);
        sawAbort = ctx.signal.aborted;
        finished = true;
      },
    });

    await publishEvent(env.m, 'work.a', item(1), WorkItem);
    await started.promise;
    const t0 = performance.now();
    await consumer.stop();
    const finishedWhenStopped = finished;

    expect(finishedWhenStopped).toBe(true);
    expect(sawAbort).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5_000);
    await env.acks.until('+ACK', (a) => a.some((x) => x.kind === '+ACK'));
    expect(kinds(env.acks.items)).toEqual(['+ACK']);
  });

  it('stop() aborts a handler that outlasts the drain timeout and hands its message back', async () => {
    const env = await setup();
    const started = deferred();
    let sawAbort = false;
    const consumer = await start(env, {
      drainTimeoutMs: 200,
      handler: async (_event, ctx) => {
        started.resolve();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort = true;
        throw new Error('aborted');
      },
    });

    await publishEvent(env.m, 'work.a', item(1), WorkItem);
    await started.promise;
    const t0 = performance.now();
    await consumer.stop();

    expect(sawAbort).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    await env.acks.until('-NAK', (a) => a.length > 0);
    expect(env.acks.items.map((a) => a.body)).toEqual(['-NAK']); // no delay: straight back to another instance
    expect(await streamMessages(env, WORK.name)).toBe(1);
    expect(env.dlq.items).toEqual([]);
  });
});

describe('startConsumer pulls only for free slots', () => {
  /** Records the pull requests (not the `+NXT` acks) the consumer sends for this test's durable. */
  async function pullRequests(env: Env): Promise<Recorder<{ batch: number; expires: number }>> {
    const requests = new Recorder<{ batch: number; expires: number }>();
    const sub = nc.subscribe(
      `$JS.API.CONSUMER.MSG.NEXT.${env.m.stream(WORK.name)}.${env.m.ns.streamPrefix}${DURABLE}`,
      { callback: (_err, msg: Msg) => requests.push(msg.json<{ batch: number; expires: number }>()) },
    );
    cleanups.push(async () => sub.unsubscribe());
    await nc.flush();
    return requests;
  }

  it('never holds more delivered messages than slots, and a busy worker sends one publish per message', async () => {
    const env = await setup();
    const requests = await pullRequests(env);
    const durable = `${env.m.ns.streamPrefix}${DURABLE}`;
    let running = 0;
    let maxRunning = 0;
    let maxUnacked = 0;
    const seen = new Set<number>();
    for (let n = 0; n < 30; n++) await publishEvent(env.m, 'work.a', item(n), WorkItem);
    await start(env, {
      concurrency: 3,
      handler: async (event) => {
        maxRunning = Math.max(maxRunning, ++running);
        // The server's count of delivered, unacknowledged messages: a prefetched one would show here.
        const info = await env.m.jsm.consumers.info(env.m.stream(WORK.name), durable);
        maxUnacked = Math.max(maxUnacked, info.num_ack_pending);
        seen.add(event.data.n);
        running--;
      },
    });

    await env.acks.until('30 acks', (a) => a.filter((x) => x.kind === '+ACK').length === 30);

    expect(seen.size).toBe(30);
    expect(maxRunning).toBeLessThanOrEqual(3);
    expect(maxUnacked).toBeLessThanOrEqual(3);
    // One request for the three free slots; after that every ack asks for the next message itself.
    expect(requests.items).toEqual([{ batch: 3, expires: 30_000_000_000 }]);
    expect(env.acks.items.every((a) => a.body.startsWith('+NXT'))).toBe(true);
    expect(await streamMessages(env, WORK.name)).toBe(0);
  });

  it('asks again for every free slot when an idle request expires, and takes a message that comes later', async () => {
    const env = await setup();
    const requests = await pullRequests(env);
    const handled = deferred<number>();
    await start(env, {
      concurrency: 2,
      pullExpiresMs: 200,
      handler: async (event) => handled.resolve(event.data.n),
    });

    // Each request expires unanswered (408 with 2 messages left): the consumer asks again for both slots.
    await requests.until('three pull requests', (r) => r.length >= 3);
    expect(requests.items.slice(0, 3)).toEqual(Array(3).fill({ batch: 2, expires: 200_000_000 }));
    await publishEvent(env.m, 'work.a', item(7), WorkItem);
    expect(await handled.promise).toBe(7);
  });

  it('logs a pull it cannot send (connection closed) instead of ending the process', async () => {
    const env = await setup();
    const own = await openNats(inject('natsUrl'));
    const m = await createMessaging(own, 'test', env.m.ns);
    const started = deferred();
    const finish = deferred();
    // On a connection of its own, which the test closes under it.
    await start(
      { ...env, m },
      {
        drainTimeoutMs: 1_000,
        handler: async () => {
          started.resolve();
          await finish.promise;
          throw new Error('failed after the connection closed');
        },
      },
    );
    await publishEvent(env.m, 'work.a', item(1), WorkItem);
    await started.promise;
    await own.close();
    finish.resolve();

    // The freed slot asks for the next message on a closed connection: an uncaught throw there
    // would fail this run. The message stays in the stream for redelivery.
    await eventually('the failed pull logged', async () =>
      env.log.lines().find((l) => l.msg === 'could not ask for messages'),
    );
    expect(await streamMessages(env, WORK.name)).toBe(1);
  });

  it('keeps working when its durable is deleted and created again', async () => {
    const env = await setup();
    const handled = new Recorder<number>();
    await start(env, { concurrency: 2, handler: async (event) => handled.push(event.data.n) });
    await publishEvent(env.m, 'work.a', item(1), WorkItem);
    await handled.until('item 1', (h) => h.includes(1));

    const stream = env.m.stream(WORK.name);
    await env.m.jsm.consumers.delete(stream, `${env.m.ns.streamPrefix}${DURABLE}`);
    await ensureConsumer(env.m, {
      stream: WORK.name,
      durable: DURABLE,
      filterSubject: 'work.>',
      ackWaitMs: 30_000,
      maxAckPending: 100,
    });
    await publishEvent(env.m, 'work.a', item(2), WorkItem);

    // Far sooner than the 30 s a lost pull request would otherwise take to expire.
    await handled.until('item 2', (h) => h.includes(2), 10_000);
    const resets = env.log.lines().filter((l) => l.msg === 'pull requests reset');
    expect(resets.map((l) => String(l.why))).toContainEqual(expect.stringContaining('409'));
  });
});

describe('publishEvent', () => {
  it('stores a re-published envelope once within the duplicate window (Nats-Msg-Id)', async () => {
    const env = await setup();
    const event = item(1);
    const first = await publishEvent(env.m, 'work.a', event, WorkItem);
    const again = await publishEvent(env.m, 'work.a', event, WorkItem);
    const other = await publishEvent(env.m, 'work.a', item(2), WorkItem);

    expect(first).toMatchObject({ seq: 1, duplicate: false });
    expect(again).toMatchObject({ seq: 1, duplicate: true });
    expect(other).toMatchObject({ seq: 2, duplicate: false });
    expect(await streamMessages(env, WORK.name)).toBe(2);
    const stored = await env.m.jsm.streams.getMessage(env.m.stream(WORK.name), { seq: 1 });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(event.id);
    expect(stored?.json()).toEqual(event);
  });

  it('refuses to publish an envelope that fails its schema', async () => {
    const env = await setup();
    const bad = { ...item(1), data: { n: 1.5, label: 'x' } };
    await expect(publishEvent(env.m, 'work.a', bad, WorkItem)).rejects.toThrow(
      /refusing to publish invalid test\.work\.v1: \/data\/n/,
    );
    expect(await streamMessages(env, WORK.name)).toBe(0);
  });
});
