import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from './support/api-client.ts';
import { openSse } from './support/sse-client.ts';
import { startStack, type Stack } from './support/stack.ts';

const options = { width: 360, preset: 'ultrafast', mode: 'pad', segments: [{ parts: [{ start: 0.2, end: 1.2 }] }] };

type Page = { items: { id: string; taskId?: string; accountId?: string }[] };
type ErrorBody = { error: { code: string; message: string; details?: { field?: string } } };

// Query parameters are camelCase like bodies (`accountId`, `taskId`); the snake_case spellings the
// API first shipped (`account_id`, `task_id`) still work as deprecated aliases, the same value under
// both names is one parameter, and two different values are a 400 (docs/architecture.md, API conventions).
describe('query parameter casing: camelCase, with the snake_case spellings as deprecated aliases', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let api: ReturnType<typeof apiClient>;
  let bearer: string;
  const a = { account: '', task: '' };
  const b = { account: '', task: '' };

  const get = async <T>(path: string) => {
    const res = await api.call(path);
    return { status: res.status, body: (await res.json()) as T };
  };
  const ids = (page: Page) => page.items.map((i) => i.id).sort();

  beforeAll(async () => {
    stack = await startStack();
    files = await serveFiles({
      'v.mp4': await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 2 }),
    });
    bearer = await stack.bearer('tenant-casing');
    api = apiClient(stack.gatewayUrl, bearer);
    // Two accounts with one finished task (and its clip) each, so a filter that is ignored shows.
    for (const side of [a, b]) {
      side.account = (await api.createAccount(`casing ${side === a ? 'A' : 'B'}`)).id;
      const created = await api.post('/api/v1/tasks', { accountId: side.account, url: files.url('v.mp4'), options });
      expect(created.status, await created.clone().text()).toBe(202);
      side.task = ((await created.json()) as { id: string }).id;
    }
    for (const side of [a, b]) {
      const ended = await eventually(
        `task ${side.task} ended`,
        async () => {
          const { body } = await get<{ status: string }>(`/api/v1/tasks/${side.task}`);
          return ['completed', 'failed', 'cancelled'].includes(body.status) ? body.status : undefined;
        },
        60_000,
        200,
      );
      expect(ended).toBe('completed');
    }
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('GET /api/v1/tasks: accountId, account_id, and both with the same value list the same tasks', async () => {
    for (const query of [
      `accountId=${a.account}`,
      `account_id=${a.account}`,
      `accountId=${a.account}&account_id=${a.account}`,
    ]) {
      const { status, body } = await get<Page>(`/api/v1/tasks?${query}`);
      expect(status, query).toBe(200);
      expect(ids(body), query).toEqual([a.task]);
    }
    expect(ids((await get<Page>(`/api/v1/tasks?accountId=${b.account}`)).body)).toEqual([b.task]);
    expect(ids((await get<Page>(`/api/v1/tasks?account_id=${b.account}&status=completed`)).body)).toEqual([b.task]);
  });

  it('GET /api/v1/content: accountId/account_id and taskId/task_id filter alike, in any mix', async () => {
    const byAccount = await get<Page>(`/api/v1/content?accountId=${a.account}`);
    expect(byAccount.status).toBe(200);
    expect(byAccount.body.items.length).toBeGreaterThan(0);
    expect(byAccount.body.items.every((c) => c.taskId === a.task)).toBe(true);
    for (const query of [
      `account_id=${a.account}`,
      `taskId=${a.task}`,
      `task_id=${a.task}`,
      `accountId=${a.account}&task_id=${a.task}`,
      `account_id=${a.account}&taskId=${a.task}&task_id=${a.task}`,
    ]) {
      const { status, body } = await get<Page>(`/api/v1/content?${query}`);
      expect(status, query).toBe(200);
      expect(ids(body), query).toEqual(ids(byAccount.body));
    }
    const ofB = await get<Page>(`/api/v1/content?task_id=${b.task}`);
    expect(ofB.body.items.length).toBeGreaterThan(0);
    expect(ofB.body.items.every((c) => c.taskId === b.task)).toBe(true);
  });

  it('GET /api/v1/events (SSE): accountId and account_id open the same account stream', async () => {
    for (const query of [
      `accountId=${a.account}`,
      `account_id=${a.account}`,
      `accountId=${a.account}&account_id=${a.account}`,
    ]) {
      // Resuming from the start replays the account's stored facts first: all of them are account A's.
      const stream = await openSse(stack.gatewayUrl, `/api/v1/events?${query}`, bearer, '0-0');
      try {
        expect(stream.res.status, query).toBe(200);
        expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const first = await stream.nextEvent();
        expect(first, query).toMatchObject({ kind: 'event', data: { job_id: a.task } });
      } finally {
        stream.close();
      }
    }
  });

  it('answers 400 when the two spellings of one parameter differ, or when the stream has no account', async () => {
    const conflicts = [
      [`/api/v1/tasks?accountId=${a.account}&account_id=${b.account}`, 'querystring/account_id'],
      [`/api/v1/content?account_id=${a.account}&accountId=${b.account}`, 'querystring/account_id'],
      [`/api/v1/content?taskId=${a.task}&task_id=${b.task}`, 'querystring/task_id'],
      [`/api/v1/events?accountId=${a.account}&account_id=${b.account}`, 'querystring/account_id'],
      ['/api/v1/events', 'querystring/accountId'],
      // A bad value under the old name is refused like one under the new name.
      ['/api/v1/tasks?account_id=nope', 'querystring/accountId'],
    ] as const;
    for (const [path, field] of conflicts) {
      const res = await api.call(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code, path).toBe('VALIDATION_FAILED');
      expect(body.error.details?.field, path).toBe(field);
    }
  });

  it('documents the camelCase names and marks the snake_case ones deprecated in the OpenAPI document', async () => {
    type Parameter = { name: string; in: string; deprecated?: boolean; description?: string };
    const doc = (await (await fetch(`${stack.gatewayUrl}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
    };
    const query = (path: string) =>
      Object.fromEntries(
        (doc.paths[path]!.get!.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]),
      );
    for (const [path, pairs] of [
      ['/api/v1/tasks', [['accountId', 'account_id']]],
      [
        '/api/v1/content',
        [
          ['accountId', 'account_id'],
          ['taskId', 'task_id'],
        ],
      ],
      ['/api/v1/events', [['accountId', 'account_id']]],
    ] as const) {
      const params = query(path);
      for (const [name, alias] of pairs) {
        expect(params[name], `${path} ${name}`).toBeDefined();
        expect(params[name]!.deprecated, `${path} ${name}`).toBeUndefined();
        expect(params[alias], `${path} ${alias}`).toMatchObject({
          deprecated: true,
          description: expect.stringContaining(`use \`${name}\``),
        });
      }
    }
  });
});
