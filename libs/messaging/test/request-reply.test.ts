import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import { Type } from '@sinclair/typebox';
import { DomainError, type CommandDeclaration } from '@reelforge/contracts';
import {
  checkReply,
  createMessaging,
  namespaceFrom,
  openNats,
  sendCommand,
  serveCommand,
  type Messaging,
} from '@reelforge/messaging';
import { memoryLogger, uniqueToken } from '@reelforge/testing';

// Commands over core NATS request/reply, server and caller on separate connections (as two services
// would be), each test in its own subject namespace.

const LookupRequest = Type.Object(
  { id: Type.String({ minLength: 1 }), n: Type.Integer() },
  { additionalProperties: false },
);
const LookupResponse = Type.Object({ id: Type.String(), doubled: Type.Integer() }, { additionalProperties: false });
const lookup: CommandDeclaration<typeof LookupRequest, typeof LookupResponse> = {
  subject: 'cmd.test.lookup',
  request: LookupRequest,
  response: LookupResponse,
};

const tracer = trace.getTracer('test');

let serverNc: NatsConnection;
let clientNc: NatsConnection;
const subs: Subscription[] = [];

beforeAll(async () => {
  serverNc = await openNats(inject('natsUrl'), { name: 'test-server' });
  clientNc = await openNats(inject('natsUrl'), { name: 'test-client' });
});

afterEach(() => {
  while (subs.length) subs.pop()!.unsubscribe();
});

afterAll(async () => {
  await serverNc?.close();
  await clientNc?.close();
});

interface Setup {
  server: Messaging;
  client: Messaging;
  calls: unknown[];
  logs: ReturnType<typeof memoryLogger>;
}

/** Serves `lookup` in a fresh namespace: 'missing' → NOT_FOUND, 'boom' → an unexpected Error. */
async function serve(): Promise<Setup> {
  const ns = namespaceFrom(uniqueToken());
  const server = await createMessaging(serverNc, 'lookup-service', ns);
  const client = await createMessaging(clientNc, 'gateway', ns);
  const calls: unknown[] = [];
  const logs = memoryLogger('lookup-service');
  subs.push(
    serveCommand(
      server,
      lookup,
      async (req) => {
        calls.push(req);
        if (req.id === 'missing') throw new DomainError('NOT_FOUND', `no thing ${req.id}`, { id: req.id });
        if (req.id === 'boom') throw new Error('connection to db:5432 failed (password=hunter2)');
        return { id: req.id, doubled: req.n * 2 };
      },
      { log: logs.log, tracer },
    ),
  );
  await serverNc.flush(); // the subscription is registered before the first request
  return { server, client, calls, logs };
}

async function rejection(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe('serveCommand / sendCommand', () => {
  it('answers a valid request with the handler result', async () => {
    const { client, calls } = await serve();
    const reply = await sendCommand(client, lookup, { id: 'a', n: 21 }, { timeoutMs: 5_000, owner: 'lookup-service' });
    expect(reply).toEqual({ id: 'a', doubled: 42 });
    expect(checkReply(lookup, reply)).toBeUndefined();
    expect(calls).toEqual([{ id: 'a', n: 21 }]);
  });

  it('brings a DomainError back as a DomainError with its code, message and details', async () => {
    const { client } = await serve();
    const err = await rejection(
      sendCommand(client, lookup, { id: 'missing', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('no thing missing');
    expect(err.details).toEqual({ id: 'missing' });
  });

  it('answers an unexpected error as INTERNAL without its message or stack, and logs it on the server', async () => {
    const { client, logs } = await serve();
    const err = await rejection(
      sendCommand(client, lookup, { id: 'boom', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('internal error');
    expect(err.details).toBeUndefined();

    // What actually crossed the wire: code and fixed message only.
    const raw = await clientNc.request(client.subject(lookup.subject), JSON.stringify({ id: 'boom', n: 1 }), {
      timeout: 5_000,
    });
    expect(raw.json()).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    expect(raw.string()).not.toMatch(/hunter2|stack|\bat /);

    const logged = logs.lines().filter((l) => l.msg === 'command failed');
    expect(logged).toHaveLength(2);
    expect(JSON.stringify(logged[0])).toContain('hunter2'); // the detail stays in the server's log
  });

  it('rejects a request that fails the schema, or is not JSON, as VALIDATION_FAILED without calling the handler', async () => {
    const { client, calls } = await serve();
    const err = await rejection(
      sendCommand(client, lookup, { id: '', n: 1.5 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toMatch(/\/id/);
    expect(err.message).toMatch(/\/n/);

    const raw = await clientNc.request(client.subject(lookup.subject), 'not json', { timeout: 5_000 });
    expect(raw.json()).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'request is not JSON' } });
    expect(calls).toEqual([]);
  });

  it('fails fast with SERVICE_UNAVAILABLE when nobody serves the subject', async () => {
    const client = await createMessaging(clientNc, 'gateway', namespaceFrom(uniqueToken()));
    const t0 = performance.now();
    const err = await rejection(
      sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    const elapsed = performance.now() - t0;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toBe('lookup-service is not available');
    expect(elapsed).toBeLessThan(1_000);
  });

  it('gives up with SERVICE_UNAVAILABLE after the timeout when the responder never answers', async () => {
    const client = await createMessaging(clientNc, 'gateway', namespaceFrom(uniqueToken()));
    let received = 0;
    subs.push(serverNc.subscribe(client.subject(lookup.subject), { callback: () => void received++ })); // listens, never answers
    await serverNc.flush();

    const t0 = performance.now();
    const err = await rejection(
      sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 300, owner: 'lookup-service' }),
    );
    const elapsed = performance.now() - t0;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toBe('lookup-service did not answer within 300 ms');
    expect(received).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('has each request answered by one instance of the serving service (queue group)', async () => {
    const setup = await serve();
    // A second instance of the same service.
    const second = await createMessaging(serverNc, 'lookup-service', setup.server.ns);
    let secondCalls = 0;
    subs.push(
      serveCommand(second, lookup, async (req) => (secondCalls++, { id: req.id, doubled: req.n * 2 }), {
        log: setup.logs.log,
        tracer,
      }),
    );
    await serverNc.flush();

    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sendCommand(setup.client, lookup, { id: `r${i}`, n: i }, { timeoutMs: 5_000, owner: 'lookup-service' }),
      ),
    );
    expect(replies.map((r) => r.doubled)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(setup.calls.length + secondCalls).toBe(20);
  });
});

// What a caller sees when the owner misbehaves: a broken reply, or a handler that never finishes.
describe('sendCommand / serveCommand when the owner misbehaves', () => {
  /** A raw responder on `lookup`'s subject that answers every request with `body`. */
  async function answering(body: string): Promise<Messaging> {
    const client = await createMessaging(clientNc, 'gateway', namespaceFrom(uniqueToken()));
    subs.push(serverNc.subscribe(client.subject(lookup.subject), { callback: (_err, msg) => void msg.respond(body) }));
    await serverNc.flush();
    return client;
  }

  it('answers a reply that is not JSON or not a reply with BAD_GATEWAY, logged, never blaming the caller', async () => {
    for (const body of [
      '<html>502</html>',
      '',
      '[]',
      'null',
      '{"ok":true}',
      '{"ok":"yes","data":1}',
      '{"ok":false}',
      '{"ok":false,"error":{"code":5,"message":"x"}}',
      '{"ok":false,"error":{"code":"NOT_FOUND","message":"x","details":[1]}}',
    ]) {
      const logs = memoryLogger('gateway');
      const client = await answering(body);
      const err = await rejection(
        sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service', log: logs.log }),
      );
      expect(err.code, body).toBe('BAD_GATEWAY');
      expect(err.message).toBe('lookup-service sent a malformed reply');
      expect(err.details).toBeUndefined();
      expect((err.cause as Error).name).toBe('MalformedReplyError');
      expect((err.cause as Error).message).toContain('cmd.test.lookup');
      const logged = logs.lines().filter((l) => l.msg === 'malformed command reply');
      expect(logged, body).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 50, owner: 'lookup-service', subject: 'cmd.test.lookup' });
    }
  });

  it('still brings an unknown error code back as INTERNAL with its message (a readable reply from a newer owner)', async () => {
    const client = await answering('{"ok":false,"error":{"code":"TEAPOT","message":"short and stout"}}');
    const err = await rejection(
      sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('short and stout');
  });

  it('checks the data against the response schema only when asked to (strict)', async () => {
    const client = await answering('{"ok":true,"data":{"id":"a","doubled":"two"}}');
    const loose = await sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' });
    expect(loose).toEqual({ id: 'a', doubled: 'two' });
    const err = await rejection(
      sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service', strict: true }),
    );
    expect(err.code).toBe('BAD_GATEWAY');
    expect((err.cause as Error).message).toMatch(/response schema: \/doubled/);
  });

  it('answers a handler that hangs past its deadline with SERVICE_UNAVAILABLE, logs it, and aborts its signal', async () => {
    const ns = namespaceFrom(uniqueToken());
    const server = await createMessaging(serverNc, 'lookup-service', ns);
    const client = await createMessaging(clientNc, 'gateway', ns);
    const logs = memoryLogger('lookup-service');
    let seen: AbortSignal | undefined;
    let stopped!: (reason: unknown) => void;
    const stoppedWith = new Promise<unknown>((r) => (stopped = r));
    subs.push(
      serveCommand(
        server,
        lookup,
        (_req, signal) => {
          seen = signal;
          // Never finishes on its own; gives up when told to.
          return new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => (stopped(signal.reason), reject(signal.reason as Error))),
          );
        },
        { log: logs.log, tracer },
        { deadlineMs: 300 },
      ),
    );
    await serverNc.flush();

    const t0 = performance.now();
    const err = await rejection(
      sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    const elapsed = performance.now() - t0;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toBe('cmd.test.lookup did not finish within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);

    const reason = await stoppedWith;
    expect(seen?.aborted).toBe(true);
    expect((reason as Error).name).toBe('CommandDeadlineError');
    expect(logs.lines().filter((l) => l.msg === 'command did not finish within its deadline')).toEqual([
      expect.objectContaining({ level: 50, subject: 'cmd.test.lookup', deadlineMs: 300 }),
    ]);
    // Stopping on the signal is expected: no second "failed" line.
    expect(
      logs.lines().filter((l) => l.msg === 'command failed' || l.msg === 'command failed after its deadline'),
    ).toEqual([]);
  });

  it('drops the result of a handler that finishes after its deadline, answering once and saying so in the log', async () => {
    const ns = namespaceFrom(uniqueToken());
    const server = await createMessaging(serverNc, 'lookup-service', ns);
    const client = await createMessaging(clientNc, 'gateway', ns);
    const logs = memoryLogger('lookup-service');
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    subs.push(
      serveCommand(
        server,
        lookup,
        async (req) => {
          await new Promise((r) => setTimeout(r, 400)); // ignores the signal
          finished();
          return { id: req.id, doubled: req.n * 2 };
        },
        { log: logs.log, tracer },
        { deadlineMs: 150 },
      ),
    );
    await serverNc.flush();

    const err = await rejection(
      sendCommand(client, lookup, { id: 'a', n: 1 }, { timeoutMs: 5_000, owner: 'lookup-service' }),
    );
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    await done;
    await new Promise((r) => setImmediate(r));
    expect(logs.lines().map((l) => l.msg)).toEqual([
      'command did not finish within its deadline',
      'command finished after its deadline; result dropped',
    ]);
  });

  it('refuses a deadline that is not a positive number', async () => {
    const server = await createMessaging(serverNc, 'lookup-service', namespaceFrom(uniqueToken()));
    const { log } = memoryLogger('lookup-service');
    expect(() =>
      serveCommand(server, lookup, async (req) => ({ id: req.id, doubled: 0 }), { log, tracer }, { deadlineMs: 0 }),
    ).toThrow(/positive number of ms/);
  });
});
