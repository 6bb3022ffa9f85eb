import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type StartedGeneration } from './support/api-client.ts';
import {
  operationsOf,
  requestArb,
  type FuzzContext,
  type GeneratedRequest,
  type OpenApiDocument,
} from './support/openapi-arbitraries.ts';
import { startStack, type Stack } from './support/stack.ts';

type Operation = { method: string; path: string };
/** A generated request, or one of the hand-written cases (those must be 4xx). */
type Probe = Omit<GeneratedRequest, 'label'> & { label: GeneratedRequest['label'] | 'hand-written' };

/** Fixed, so a failure replays exactly: the same requests in the same order (printed with the results). */
const SEED = 20_261_128;
/** Generated requests per operation (44 operations → 8,800, plus ~2,100 hand-written). */
const PER_OPERATION = 200;
const CONCURRENCY = 16;

const BAD_IDS = [
  'not-a-uuid',
  'ABCDEFGH-0000-7000-8000-000000000000',
  '%20',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  "1'%20or%20'1'%3D'1",
  'x'.repeat(3000),
  '00000000-0000-0000-0000-000000000000',
  '%00',
  '-1',
  '{}',
  'null',
];
const BAD_QUERIES = [
  'limit=-1',
  'limit=0',
  'limit=1.5',
  'token=%00',
  'limit=abc',
  'limit=100000',
  `cursor=${'x'.repeat(300)}`,
  'cursor=../../x',
  'unknown=1',
  'account_id=nope',
  'limit=1&limit=2',
  'task_id=%00',
];
const BAD_BODIES: { body: string; type: string }[] = [
  { body: '{', type: 'application/json' },
  { body: '', type: 'application/json' },
  { body: 'null', type: 'application/json' },
  { body: '[]', type: 'application/json' },
  { body: '"text"', type: 'application/json' },
  { body: '{"name":123,"type":[],"url":{},"count":"many"}', type: 'application/json' },
  {
    body: JSON.stringify({ name: 'x'.repeat(100_000), url: `https://${'a'.repeat(5000)}.example` }),
    type: 'application/json',
  },
  { body: JSON.stringify({ extra: true, __proto__: { admin: true } }), type: 'application/json' },
  {
    body: JSON.stringify({ type: 'shorts', count: 1e9, options: { width: -5, aspect: '3:1', crf: 99 } }),
    type: 'application/json',
  },
  { body: JSON.stringify({ url: 'file:///etc/passwd' }), type: 'application/json' },
  { body: JSON.stringify({ url: 'gopher://127.0.0.1:25/' }), type: 'application/json' },
  { body: `{${'"a":{'.repeat(2000)}${'}'.repeat(2000)}}`, type: 'application/json' },
  { body: 'name=x', type: 'application/x-www-form-urlencoded' },
  { body: 'hello', type: 'text/plain' },
  { body: 'true', type: 'application/json' },
  { body: '{"name":null,"url":"http://","type":""}', type: 'application/json' },
  { body: '{"options":{"width":"wide","preset":"placebo"},"type":"a b"}', type: 'application/json' },
  {
    body: '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--b--',
    type: 'multipart/form-data; boundary=b',
  },
  { body: 'x'.repeat(2 * 1024 * 1024), type: 'application/json' },
];

/** The original hand-written cases: bad ids, queries, bodies and credentials on every operation. */
function handWritten(ops: Operation[], accountId: string, bearer: string): Probe[] {
  const requests: Probe[] = [];
  const auth = { authorization: `Bearer ${bearer}` };
  const add = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    requests.push({
      method,
      url,
      headers,
      ...(body !== undefined ? { body } : {}),
      what: 'original case',
      label: 'hand-written',
    });
  for (const op of ops) {
    const hasParams = op.path.includes('{');
    const fill = (value: string) => op.path.replace(/\{[^}]+\}/g, value);
    const hasBody = op.method === 'POST' || op.method === 'PATCH' || op.method === 'PUT';
    // Bad ids in the path (or, for paths without ids, the route with a bad suffix).
    for (const id of BAD_IDS) add(op.method, hasParams ? fill(id) : `${op.path}/${id}`, auth);
    // Bad query strings on a valid target.
    for (const q of BAD_QUERIES) add(op.method, `${fill(accountId)}?${q}`, auth);
    // Bad bodies (sent to every method: a body where none is expected must not break either).
    for (const b of BAD_BODIES)
      add(op.method === 'GET' ? 'POST' : op.method, fill(accountId), { ...auth, 'content-type': b.type }, b.body);
    if (hasBody)
      add(
        op.method,
        fill(accountId),
        { ...auth, 'content-type': 'application/json', 'idempotency-key': 'bad key with spaces ü' },
        '{}',
      );
    // No token, a forged token, a token in the wrong scheme.
    for (const h of [
      {},
      { authorization: 'Bearer abc.def.ghi' },
      { authorization: `Basic ${bearer}` },
      { authorization: `Bearer ${bearer}x` },
    ] as Record<string, string>[])
      add(op.method, fill(accountId), h);
    // A bad id in the path with a bad query too.
    add(op.method, `${fill('..%2F..')}?limit=0`, auth);
  }
  for (const path of [
    '/api/v1/../../etc/passwd',
    '/api/v1/%2e%2e/%2e%2e/etc/passwd',
    '/api/v2/accounts',
    '/api/v1/accounts/%ZZ',
    `/api/v1/${'a/'.repeat(2000)}`,
  ])
    add('GET', path, auth);
  return requests;
}

/** Why an answer is wrong for this request, or undefined when it is acceptable. */
function problemWith(r: Probe, status: number, _text: string): string | undefined {
  if (status >= 400 && status < 500) return undefined;
  // Requests that may be valid may also succeed (and start work: a task, a generation, an account).
  if (status >= 200 && status < 300 && (r.label === 'valid' || r.label === 'fuzzy')) return undefined;
  return status === 0 ? 'no answer' : `HTTP ${status}`;
}

// Generated malformed (and some well-formed) requests across every route of the OpenAPI document,
// on the real services: a request the gateway must refuse is answered 4xx, nothing is ever a 5xx or
// a dropped connection, and the services stay ready afterwards.
describe('malformed requests', () => {
  let stack: Stack;
  let sourceHost: Server;
  let bearer: string;
  let ctx: FuzzContext;
  beforeAll(async () => {
    // The notifier serves its notification routes: they must answer like every built route.
    stack = await startStack({
      withNotifier: true,
      withScheduler: true,
      withBacklog: true,
      env: {
        RATE_LIMIT_PER_MINUTE: '1000000',
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
        AUTH_FAILURES_PER_MINUTE: '1000000',
      },
    });
    // Sources the generated requests name: a local server with no files (every fetch a quick 404,
    // whatever the path: serveFiles would look `/constructor` up on a plain object).
    sourceHost = createServer((_req, res) => void res.writeHead(404).end('not found')).listen(0, '127.0.0.1');
    await once(sourceHost, 'listening');
    const sourceUrl = (tail: string) => `http://127.0.0.1:${(sourceHost.address() as AddressInfo).port}/${tail}`;
    bearer = await stack.bearer('fuzz');
    const api = apiClient(stack.gatewayUrl, bearer);
    const account = await api.createAccount('Fuzz');
    // Real ids of each kind, so valid requests get past "not found" into the handlers.
    await api.addSource(account.id, sourceUrl('gone.mp4'));
    const started = await api.startGeneration(account.id, { type: 'fuzz', count: 1 });
    expect(started.status, await started.clone().text()).toBe(202);
    const { generation } = (await started.json()) as StartedGeneration;
    const task = await api.post('/api/v1/tasks', { accountId: account.id, url: sourceUrl('gone.mp4') });
    expect(task.status, await task.clone().text()).toBe(202);
    const key = await api.post('/api/v1/api-keys', { name: 'fuzz' });
    expect(key.status, await key.clone().text()).toBe(201);
    ctx = {
      knownIds: {
        accountid: [account.id],
        generationid: [generation.id],
        taskid: [...generation.taskIds, ((await task.json()) as { id: string }).id],
        keyid: [((await key.json()) as { id: string }).id],
      },
      deadUrl: (https, tail) => (https ? sourceUrl(tail).replace(/^http:/, 'https:') : sourceUrl(tail)),
      bearers: [bearer, await stack.bearer('fuzz', ['admin'])],
    };
  });
  afterAll(async () => {
    await stack?.stop();
    sourceHost?.closeAllConnections();
    await new Promise((resolve) => (sourceHost ? sourceHost.close(resolve) : resolve(undefined)));
  });

  it('answers 10,000+ generated and hand-written requests without a 5xx or a dropped connection, and stays healthy', async () => {
    const doc = (await (await fetch(`${stack.gatewayUrl}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    // Every API operation; the probes (/healthz, /readyz) stay permissive by design and are left out.
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const accountId = ctx.knownIds.accountid![0]!;

    const requests: Probe[] = handWritten(ops, accountId, bearer);
    // One seed per operation (derived from SEED): adding a route does not reshuffle the others.
    ops.forEach((op, i) =>
      requests.push(...fc.sample(requestArb(op, ctx), { seed: SEED + i, numRuns: PER_OPERATION })),
    );
    expect(requests.length).toBeGreaterThanOrEqual(10_000);
    process.stdout.write(
      `malformed requests: fast-check seed ${SEED} (+ operation index), ${PER_OPERATION} per operation, ${ops.length} operations\n`,
    );

    const outcomes = new Map<string, Map<number, number>>();
    const bad: { r: Probe; problem: string; text: string }[] = [];
    const started = Date.now();
    const send = async (r: Probe) => {
      let status = 0;
      let text = '';
      try {
        const res = await fetch(`${stack.gatewayUrl}${r.url}`, {
          method: r.method,
          headers: r.headers,
          ...(r.body !== undefined ? { body: r.body } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        // A valid event-stream request opens a stream that never ends: its status is the answer.
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
        else text = await res.text();
      } catch (err) {
        text = `${String(err)} (${String((err as Error).cause)})`;
      }
      const byLabel = outcomes.get(r.label) ?? new Map<number, number>();
      outcomes.set(r.label, byLabel.set(status, (byLabel.get(status) ?? 0) + 1));
      const problem = problemWith(r, status, text);
      if (problem) bad.push({ r, problem, text });
    };
    // Sampling blocked the event loop (shared with the gateway) for seconds: a keep-alive socket idle
    // since before may have been timed out by the server (5 s) without the client noticing yet. One
    // probe takes such a socket out of the pool; a reset there is the client's race, not the gateway's.
    await fetch(`${stack.gatewayUrl}/readyz`).then(
      (res) => res.text(),
      () => undefined,
    );
    // A fixed number in flight: the point is breadth, not load.
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) await send(requests[next++]!);
      }),
    );

    const statuses = new Map<number, number>();
    for (const byLabel of outcomes.values()) for (const [s, n] of byLabel) statuses.set(s, (statuses.get(s) ?? 0) + n);
    const show = (m: Map<number, number>) => JSON.stringify(Object.fromEntries([...m].sort(([a], [b]) => a - b)));
    process.stdout.write(
      `malformed requests: ${requests.length} sent in ${Math.round((Date.now() - started) / 1000)} s, statuses ${show(statuses)}\n`,
    );
    for (const [label, byLabel] of [...outcomes].sort()) process.stdout.write(`  ${label}: ${show(byLabel)}\n`);
    // Each failure as a reproducer: method, URL, content type, body, and what came back.
    for (const { r, problem, text } of bad.slice(0, 200)) {
      const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : `<${r.body.length} bytes>`;
      // A 5xx body in full (bounded): the field that broke the owner may be anywhere in it.
      const key =
        r.headers['idempotency-key'] === undefined
          ? ''
          : ` idempotency-key ${JSON.stringify(r.headers['idempotency-key'])}`;
      process.stdout.write(
        `  ${problem} [${r.label}: ${r.what}] ${r.method} ${r.url.slice(0, 160)} ${r.headers['content-type'] ?? ''}${key} ${JSON.stringify(body.slice(0, problem.startsWith('HTTP 5') ? 4000 : 300))} → ${text.slice(0, 200)}\n`,
      );
    }
    // What the services logged for the 5xx: the place in the source to look at.
    const errors = new Map<string, number>();
    for (const line of stack.logs.lines()) {
      if (typeof line.level === 'number' && line.level >= 50) {
        const err = line.err as { message?: string; type?: string } | undefined;
        const key = `${String(line.msg)}: ${err?.type ?? ''} ${err?.message ?? ''}`.slice(0, 240);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
    for (const [message, n] of errors) process.stdout.write(`  logged error ×${n}: ${message}\n`);

    expect(
      bad.map(
        ({ r, problem }) =>
          `${problem} [${r.what}] ${r.method} ${r.url.slice(0, 120)} ${r.headers['content-type'] ?? ''}`,
      ),
    ).toEqual([]);
    // No body smuggled a property onto every object (the services run in this process).
    expect(Object.prototype).not.toHaveProperty('fuzzPolluted');
    expect((await fetch(`${stack.gatewayUrl}/readyz`)).status).toBe(200);
    const api = apiClient(stack.gatewayUrl, bearer);
    expect((await api.call('/api/v1/accounts')).status).toBe(200); // the orchestrator answers
    expect((await api.call('/api/v1/tasks/stats')).status).toBe(200); // the repurposer answers
  }, 240_000);
});
