import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';
import { newTenant } from './support/tenant.ts';

// Tenant B attacks the live-status WebSocket while tenant A's generation runs on the real
// services: B subscribes to A's generation, task and account ids (with and without `since`) over
// and over, and sends generated bad frames (non-JSON, binary, oversized, wrong types, bad cursors,
// prototype keys, floods). B must never receive a frame that mentions one of A's ids other than a
// refusal of what it sent; no connection is closed as a server error (1011); A's own subscriber
// still sees its generation through to the end; unauthenticated upgrades are refused with 401.

/** Fixed, so the frames replay exactly (printed with the results); interleaving with A's facts is the only varying part. */
const SEED = 20_261_129;
const PLANNED_FRAMES = 1500;
const FLOOD = 1000;
const ATTACKERS = 3;
const TERMINAL = ['completed', 'partially_failed', 'failed', 'cancelled'];

type Frame = Record<string, unknown>;
/** A frame to send: text, binary, or bytes sent as a text frame unchecked (invalid UTF-8). */
type Planned = { kind: 'text'; data: string } | { kind: 'binary' | 'raw-text'; data: Uint8Array };

const isObject = (v: unknown): v is Frame => typeof v === 'object' && v !== null && !Array.isArray(v);
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** One client connection that records every frame, and settles on awaited frames or its close (never on a timer alone). */
interface Conn {
  frames: Frame[];
  /** Lower-cased ids of A this connection has itself named in a frame (a refusal may echo them). */
  named: Set<string>;
  closed: Promise<number>;
  closeCode: number | undefined;
  isOpen(): boolean;
  send(frame: Planned): boolean;
  /** Resolves true when `pred` holds, false when the connection closes first; rejects after `ms`. */
  until(what: string, pred: () => boolean, ms?: number): Promise<boolean>;
  close(): void;
}

function wsUrl(base: string, query = '') {
  return `${base.replace(/^http/, 'ws')}/api/v1/ws${query}`;
}

/** Opens a connection, or rejects with the HTTP status of a refused upgrade. */
function connect(
  base: string,
  auth: { bearer?: string; query?: string },
  onText: (conn: Conn, text: string) => void,
): Promise<Conn> {
  const ws = new WebSocket(
    wsUrl(base, auth.query),
    auth.bearer ? { headers: { authorization: `Bearer ${auth.bearer}` } } : {},
  );
  const checks = new Set<() => void>();
  let closeCode: number | undefined;
  const conn: Conn = {
    frames: [],
    named: new Set(),
    closeCode: undefined,
    closed: new Promise<number>((resolve) =>
      ws.on('close', (code) => {
        closeCode = conn.closeCode = code;
        for (const check of [...checks]) check();
        resolve(code);
      }),
    ),
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      if (frame.kind === 'text') ws.send(frame.data);
      else ws.send(frame.data, { binary: frame.kind === 'binary' }); // ws sends a buffer as a text frame as is
      return true;
    },
    until(what, pred, ms = 30_000) {
      return new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(
            new Error(
              `websocket: no ${what} within ${ms} ms (${conn.frames.length} frames, last ${JSON.stringify(conn.frames.at(-1))})`,
            ),
          );
        }, ms);
        const check = () => {
          const done = pred() ? true : closeCode !== undefined ? false : undefined;
          if (done === undefined) return;
          clearTimeout(timer);
          checks.delete(check);
          resolve(done);
        };
        checks.add(check);
        check();
      });
    },
    close: () => ws.close(),
  };
  ws.on('message', (raw: Buffer, isBinary) => {
    const text = raw.toString('utf8');
    conn.frames.push(
      isBinary
        ? { type: '<binary frame>' }
        : ((v) => (isObject(v) ? v : { type: '<not a JSON object>', text }))(parse(text)),
    );
    onText(conn, text);
    for (const check of [...checks]) check();
  });
  ws.on('error', () => undefined); // a refused or broken connection is reported by its close / unexpected-response
  return new Promise<Conn>((resolve, reject) => {
    ws.once('open', () => resolve(conn));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`websocket refused: HTTP ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
      ws.terminate();
    });
    ws.once('close', (code) => reject(new Error(`websocket closed before opening (${code})`)));
  });
}

/** The frames an attacker sends, generated: almost all refused, none may reveal anything of A. */
function frameArb(aIds: string[]): fc.Arbitrary<Planned> {
  const aId = fc.constantFrom(...aIds);
  const key = fc.constantFrom('subscribe', 'subscribe_account', 'unsubscribe', 'unsubscribe_account');
  // A's ids in spellings the uuid check may or may not accept, and values of the wrong type.
  const idLike = fc.oneof(
    aId,
    aId.map((id) => id.toUpperCase()),
    aId.map((id) => ` ${id}`),
    aId.map((id) => `urn:uuid:${id}`),
    aId.map((id) => `${id}\u0000`),
    aId.map((id) => [id]),
    aId.map((id) => ({ id })),
    fc.uuid(),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const cursor = fc.oneof(
    fc.constantFrom(
      '0-0',
      '1-1',
      '-1-0',
      '1-',
      '1',
      '9999999999999999-1',
      '999999999999999-999999999999999',
      '1e3-1',
      ' 1-1',
      '1-1\n',
      '١-١',
      '0x1-1',
      '1-1-1',
      '',
      '1_1',
    ),
    fc.jsonValue({ maxDepth: 1 }),
  );
  const padTo = (frame: Frame, bytes: number) => {
    const text = JSON.stringify({ ...frame, pad: '' });
    return `${text.slice(0, -2)}${'x'.repeat(Math.max(0, bytes - text.length))}"}`;
  };
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }), // mostly not JSON
    fc
      .jsonValue({ maxDepth: 3 })
      .filter((v) => !isObject(v))
      .map((v) => JSON.stringify(v)), // JSON, not an object
    fc.tuple(key, idLike).map(([k, v]) => JSON.stringify({ [k]: v })),
    fc.tuple(key, idLike, cursor).map(([k, v, c]) => JSON.stringify({ [k]: v, since: c })),
    fc
      .tuple(key, aId, fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }))
      .map(([k, id, extra]) => JSON.stringify({ ...extra, [k]: id })),
    fc
      .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })
      .map((v) => JSON.stringify(v)),
    fc.tuple(key, aId).map(([k, id]) => `{"__proto__":{"${k}":"${id}"}}`),
    fc.tuple(key, aId).map(([k, id]) => `{"constructor":{"prototype":{"${k}":"${id}"}},"__proto__":{"since":"0-0"}}`),
    aId.map((id) => `{"__proto__":{"subscribe":"${id}"},"subscribe_account":"${id}","since":"0-0"}`),
    fc
      .tuple(fc.uuid(), fc.constantFrom('subscribe', 'subscribe_account'))
      .map(([id, k]) => JSON.stringify({ [k]: id })), // someone's, or no one's
    fc.constantFrom(
      '{"type":"ping"',
      '{"subscribe":1e999}',
      '{"since":"0-0"}',
      '{"subscribe":null}',
      '{"subscribe":"","subscribe_account":""}',
      '{"type":"pong"}',
      '{"type":["ping"]}',
      '[]',
      '{}',
    ),
    // Around the handler's 4 KiB limit, and just under the 64 KiB frame limit.
    fc.tuple(fc.constantFrom(4000, 4096, 4097, 20_000, 65_000), aId).map(([n, id]) => padTo({ subscribe: id }, n)),
  );
  return fc
    .oneof(
      { weight: 12, arbitrary: text.map((data): Planned => ({ kind: 'text', data })) },
      {
        weight: 1,
        arbitrary: fc
          .oneof(
            fc.uint8Array({ maxLength: 64 }),
            aId.map((id) => new TextEncoder().encode(JSON.stringify({ subscribe: id }))),
            fc.constant(new Uint8Array(60_000)),
          )
          .map((data): Planned => ({ kind: 'binary', data })),
      },
    )
    .filter((f) => f.kind !== 'text' || (parse(f.data) as Frame | undefined)?.type !== 'ping'); // pings are the test's own settle markers
}

describe('WebSocket fuzz: another tenant probes ids and sends bad frames while a generation runs', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        RATE_LIMIT_PER_MINUTE: '1000000',
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
        AUTH_FAILURES_PER_MINUTE: '1000000',
        LIVE_CONNECTIONS_PER_PRINCIPAL: '1000',
      },
    });
    // Three 4-second sources: several tasks render one after another (one worker), so facts flow for a while.
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 4 });
    files = await serveFiles({ 'a.mp4': video, 'b.mp4': video, 'c.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it("B never sees A's facts, the gateway never fails a connection, and A's subscriber gets its generation to the end", async () => {
    const a = await newTenant(
      stack,
      'ws-fuzz-a',
      ['a.mp4', 'b.mp4', 'c.mp4'].map((f) => files.url(f)),
    );
    const bBearer = await stack.bearer('ws-fuzz-b');

    // A watches its account, then starts the generation and watches it and each of its tasks.
    const aConn = await connect(stack.gatewayUrl, { bearer: a.bearer }, () => undefined);
    const aSent = (m: Frame) => aConn.send({ kind: 'text', data: JSON.stringify(m) });
    const aSubscribed = (id: string) =>
      aConn.until(`A subscribed to ${id}`, () => aConn.frames.some((f) => f.type === 'subscribed' && f.id === id));
    aSent({ subscribe_account: a.account.id });
    expect(await aSubscribed(a.account.id)).toBe(true);
    const startRes = await a.api.startGeneration(a.account.id, {
      type: 'shorts',
      count: 3,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(startRes.status).toBe(202);
    const { generation } = (await startRes.json()) as StartedGeneration;
    // The task ids as A's generation view lists them.
    const view = (await (await a.api.call(`/api/v1/generations/${generation.id}`)).json()) as { taskIds: string[] };
    expect(view.taskIds.length).toBe(3);
    aSent({ subscribe: generation.id });
    expect(await aSubscribed(generation.id)).toBe(true);
    // Each task once its owner knows it (its first fact reaches A's account subscription): A's own ids, all of them.
    const aTasks = Promise.all(
      view.taskIds.map(async (id) => {
        // False when the first fact never came (the generation's own deadline reports that).
        if (
          !(await aConn
            .until(`A: first fact of task ${id}`, () => aConn.frames.some((f) => f.job_id === id), 120_000)
            .catch(() => false))
        )
          return false;
        aSent({ subscribe: id });
        return aSubscribed(id);
      }),
    );
    const aIds = [a.account.id, generation.id, ...view.taskIds].map((id) => id.toLowerCase());
    const aDone = aConn.until(
      'A: generation terminal status',
      () =>
        aConn.frames.some(
          (f) =>
            f.type === 'job_status' &&
            f.job_id === generation.id &&
            TERMINAL.includes(String((f.status as Frame | undefined)?.status)),
        ),
      120_000,
    );

    // Every frame B receives is checked as it arrives.
    const leaks: { type: string; text: string }[] = [];
    let echoes = 0;
    const inspect = (conn: Conn, text: string) => {
      const lower = text.toLowerCase();
      const mentioned = aIds.filter((id) => lower.includes(id));
      if (mentioned.length === 0) return;
      const f = parse(text);
      const type = isObject(f) ? String(f.type) : '<not a JSON object>';
      // A refusal may echo the id B sent; so may `unsubscribed` (it says nothing about the id).
      const echo =
        mentioned.every((id) => conn.named.has(id)) &&
        isObject(f) &&
        (type === 'error' ||
          (type === 'unsubscribed' && Object.keys(f).every((k) => ['type', 'id', 'seq'].includes(k))));
      if (echo) echoes++;
      else leaks.push({ type, text: text.slice(0, 300) });
    };
    const closes = new Map<number, number>();
    const badCloses: string[] = [];
    let connections = 0;
    let sent = 0;
    const openB = async (useQuery: boolean) => {
      const conn = await connect(
        stack.gatewayUrl,
        useQuery ? { query: `?token=${encodeURIComponent(bBearer)}` } : { bearer: bBearer },
        inspect,
      );
      connections++;
      await conn.until('B greeting', () => conn.frames.some((f) => f.type === 'connection'));
      return conn;
    };
    /** Records how a B connection ended: the server may close one for too many refusals (1008), slowness (1013) or a 4xxx reason; never 1011 or a drop. */
    const ended = (conn: Conn, allowed: number[]) => {
      const code = conn.closeCode ?? -1;
      closes.set(code, (closes.get(code) ?? 0) + 1);
      if (!(
        allowed.includes(code) ||
        code === 1000 ||
        code === 1005 ||
        code === 1008 ||
        code === 1013 ||
        (code >= 4000 && code < 5000)
      ))
        badCloses.push(`close ${code}`);
    };
    const sendAll = (conn: Conn, frames: Planned[]) => {
      for (const frame of frames) {
        if (frame.kind === 'text') for (const id of aIds) if (frame.data.toLowerCase().includes(id)) conn.named.add(id);
        if (!conn.send(frame)) return false;
        sent++;
      }
      return true;
    };
    /** Waits until the connection has answered everything sent so far: its sentinel pong, and a reply for each of A's ids it asked for. */
    const settle = async (conn: Conn, asked: string[]) => {
      const pongs = conn.frames.filter((f) => f.type === 'pong').length;
      if (!sendAll(conn, [{ kind: 'text', data: '{"type":"ping"}' }])) return;
      await conn.until('sentinel pong', () => conn.frames.filter((f) => f.type === 'pong').length > pongs);
      await conn.until('replies to the subscribes', () =>
        asked.every((id) =>
          conn.frames.some((f) => (f.type === 'error' || f.type === 'subscribed') && String(f.id).toLowerCase() === id),
        ),
      );
    };

    const plan = fc.sample(frameArb(aIds), { seed: SEED, numRuns: PLANNED_FRAMES });
    process.stdout.write(
      `ws fuzz: fast-check seed ${SEED}, ${plan.length} planned frames, ${FLOOD}-frame floods, A's ids ${aIds.join(' ')}\n`,
    );
    let stop = false;
    void aDone.then(
      () => (stop = true),
      () => (stop = true),
    );
    // The subscribe attempts on A's ids, cycled: plain, with cursors, and as an account.
    const attacks = (round: number): Frame[] =>
      aIds.map(
        (id, i) =>
          [
            { subscribe: id },
            { subscribe: id, since: '0-0' },
            { subscribe_account: id },
            { subscribe: id, since: '1-1' },
            { subscribe_account: id, since: '0-0' },
            { unsubscribe: id },
          ][(round + i) % 6]!,
      );
    let rounds = 0;
    const attacker = async (n: number) => {
      let conn: Conn | undefined;
      for (let round = 0; !stop || plan.length > 0; round++) {
        // Once the planned frames are out, one round per fact A receives: the attack is timed to
        // A's facts flowing, without flooding the owners with checks (they render A's clips too).
        if (plan.length === 0) {
          const seen = aConn.frames.length;
          await aConn.until("A's next fact", () => stop || aConn.frames.length > seen, 150_000).catch(() => undefined);
          if (stop) break;
        }
        if (!conn?.isOpen()) {
          if (conn) {
            await conn.until('close', () => false); // closing: its code comes with the close
            ended(conn, []);
          }
          conn = await openB((round + n) % 2 === 1);
        }
        const attack = attacks(round);
        // Twice the same subscribe at once: the second must not be confirmed before the first is checked.
        const frames: Planned[] = [
          ...plan.splice(0, 20),
          ...[...attack, attack[0]!].map((f): Planned => ({ kind: 'text', data: JSON.stringify(f) })),
        ];
        if (sendAll(conn, frames))
          await settle(
            conn,
            attack.filter((f) => !('unsubscribe' in f)).map((f) => String(f.subscribe ?? f.subscribe_account)),
          );
        rounds++;
      }
      if (conn?.isOpen()) {
        await settle(conn, []);
        conn.close();
      }
      // A connection the server is closing is neither open nor closed yet: its code comes with the close.
      if (conn) {
        await conn.closed;
        ended(conn, []);
      }
    };
    /** Connections that are meant to be dropped or flooded, one after another. */
    const dedicated = async () => {
      // A frame over the 64 KiB limit: the server closes with 1009 (or drops the socket).
      for (const bytes of [64 * 1024 + 1, 200_000]) {
        const conn = await openB(false);
        sendAll(conn, [{ kind: 'text', data: 'x'.repeat(bytes) }]);
        await conn.until('close after an oversized frame', () => false);
        ended(conn, [1009, 1006]);
      }
      // Invalid UTF-8 in a text frame: the server closes with 1007 (or drops the socket).
      {
        const conn = await openB(true);
        sendAll(conn, [{ kind: 'raw-text', data: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }]);
        await conn.until('close after invalid UTF-8', () => false);
        ended(conn, [1006, 1007]);
      }
      // Floods: generated frames as fast as the socket takes them, then the same subscribe to A's generation a thousand times.
      const floodFrames = fc.sample(frameArb(aIds), { seed: SEED + 1, numRuns: FLOOD });
      for (const frames of [
        floodFrames,
        Array.from({ length: FLOOD }, (): Planned => ({
          kind: 'text',
          data: JSON.stringify({ subscribe: generation.id }),
        })),
      ]) {
        const conn = await openB(false);
        if (sendAll(conn, frames)) await settle(conn, []);
        if (conn.isOpen()) conn.close();
        await conn.closed; // also when the server was closing it already
        ended(conn, []);
      }
    };
    const started = Date.now();
    await Promise.all([...Array.from({ length: ATTACKERS }, (_, n) => attacker(n)), dedicated()]);
    await aDone.catch((err: unknown) => {
      // Why A's generation did not finish: what the services logged as warnings and errors.
      const logged = new Map<string, number>();
      for (const line of stack.logs.lines()) {
        if (typeof line.level !== 'number' || line.level < 40) continue;
        const { time: _t, pid: _p, hostname: _h, ...rest } = line;
        const key = JSON.stringify(rest).slice(0, 600);
        logged.set(key, (logged.get(key) ?? 0) + 1);
      }
      for (const [msg, n] of logged) process.stdout.write(`  logged ×${n}: ${msg}\n`);
      throw err;
    });
    expect(await aTasks).toEqual(view.taskIds.map(() => true));

    // C: no token, a forged token, a tampered one: refused at the upgrade, not a single frame.
    const refusals: number[] = [];
    // A's token with one signature character changed (in the middle: the last one carries padding bits).
    const at = a.bearer.length - 10;
    const tampered = `${a.bearer.slice(0, at)}${a.bearer[at] === 'A' ? 'B' : 'A'}${a.bearer.slice(at + 1)}`;
    for (const auth of [
      {},
      { bearer: 'abc.def.ghi' },
      { query: '?token=abc.def.ghi' },
      { query: `?token=${encodeURIComponent(`${bBearer}x`)}` },
      { bearer: tampered },
    ]) {
      let got = 0;
      const status = await connect(stack.gatewayUrl, auth, () => got++).then(
        (conn) => {
          conn.close();
          return 101;
        },
        (err: { status?: number }) => err.status ?? 0,
      );
      refusals.push(status);
      expect(got).toBe(0);
    }

    const aFacts = aConn.frames.filter((f) => f.type === 'job_status' || f.type === 'job_progress');
    process.stdout.write(
      `ws fuzz: ${sent} frames sent by B over ${connections} connections in ${Math.round((Date.now() - started) / 1000)} s (${rounds} attack rounds), closes ${JSON.stringify(Object.fromEntries(closes))}, ` +
        `${echoes} refusals echoing A's ids, ${leaks.length} leaked frames ${JSON.stringify(Object.fromEntries(leaks.reduce((m, l) => m.set(l.type, (m.get(l.type) ?? 0) + 1), new Map<string, number>())))}, ` +
        `C refused with ${JSON.stringify(refusals)}, A received ${aFacts.length} facts\n`,
    );
    // A few of each kind, as evidence of what got through.
    for (const type of new Set(leaks.map((l) => l.type)))
      for (const leak of leaks.filter((l) => l.type === type).slice(0, 3))
        process.stdout.write(`  leaked ${leak.type}: ${leak.text}\n`);

    expect(
      leaks.length,
      `${leaks.length} frames about A's ids reached B, e.g. ${leaks
        .slice(0, 3)
        .map((l) => l.text)
        .join(' | ')}`,
    ).toBe(0);
    expect(badCloses).toEqual([]);
    expect(refusals).toEqual([401, 401, 401, 401, 401]);
    // A's subscriber: facts throughout, the terminal one included, and never cut off.
    expect(aFacts.some((f) => f.type === 'job_progress' || (f.type === 'job_status' && f.kind === 'task'))).toBe(true);
    expect(aConn.isOpen()).toBe(true);
    aConn.close();
    expect(await aConn.closed).not.toBe(1011);
    expect((await fetch(`${stack.gatewayUrl}/readyz`)).status).toBe(200);
  }, 240_000);
});
