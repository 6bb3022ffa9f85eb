import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { openSse } from '../support/sse-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { openWs } from '../support/ws-client.ts';

const options = { width: 360, preset: 'ultrafast', mode: 'pad', segments: [{ parts: [{ start: 0.2, end: 1.8 }] }] };

// Tasks and clips are scoped by their owner principal in the repurposer, not by a list of the
// caller's account ids: a principal's 1,000th account is as visible as its first.
describe('a principal with 1,000 accounts', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  beforeAll(async () => {
    stack = await startStack();
    files = await serveFiles({
      'v.mp4': await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 2 }),
    });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('sees a task and its clips in account #1000; another principal gets 404', async () => {
    const bearer = await stack.bearer('tenant-many');
    const api = apiClient(stack.gatewayUrl, bearer);
    await api.createAccount('account 1');
    // Accounts 2..999 straight into the owner's table (setup speed); the 1,000th, the newest, through the API.
    await stack.sql(
      'orchestrator',
      `insert into $schema.accounts (id, owner_id, name, created_at) select gen_random_uuid(), 'tenant-many', 'account ' || n, now() - interval '1 hour' + n * interval '1 ms' from generate_series(2, 999) n`,
    );
    const last = await api.createAccount('account 1000');
    expect(
      await stack.sql('orchestrator', "select 1 from $schema.accounts where owner_id = 'tenant-many'"),
    ).toHaveLength(1000);

    const created = await api.post('/api/v1/tasks', { accountId: last.id, url: files.url('v.mp4'), options });
    const task = (await created.json()) as { id: string; accountId: string };
    expect(created.status, JSON.stringify(task)).toBe(202);
    expect(task.accountId).toBe(last.id);
    // The WebSocket finds the task by the same scope, and sees it through to the end.
    const ws = await openWs(stack.gatewayUrl, bearer);
    ws.send({ subscribe: task.id });
    await ws.waitFor(
      'completed',
      (m) => m.type === 'job_status' && m.job_id === task.id && (m.status as { status: string }).status === 'completed',
    );
    ws.close();

    expect(((await (await api.call(`/api/v1/tasks/${task.id}`)).json()) as { status: string }).status).toBe(
      'completed',
    );
    const listed = (await (await api.call(`/api/v1/tasks?account_id=${last.id}`)).json()) as {
      items: { id: string }[];
    };
    expect(listed.items.map((t) => t.id)).toEqual([task.id]);
    const content = (await (await api.call('/api/v1/content')).json()) as {
      items: { id: string; taskId: string; accountId: string }[];
    };
    expect(content.items).toHaveLength(1);
    expect(content.items[0]).toMatchObject({ taskId: task.id, accountId: last.id });
    const clipId = content.items[0]!.id;
    expect(
      ((await (await api.call(`/api/v1/content?account_id=${last.id}`)).json()) as { items: unknown[] }).items,
    ).toHaveLength(1);
    expect((await api.call(`/api/v1/content/${clipId}`)).status).toBe(200);
    expect((await api.call(`/api/v1/content/${clipId}/thumbnail`)).status).toBe(200);
    expect(
      ((await (await api.call('/api/v1/tasks/stats')).json()) as { byStatus: Record<string, number> }).byStatus,
    ).toEqual({ completed: 1 });
    const sse = await openSse(stack.gatewayUrl, `/api/v1/tasks/${task.id}/events`, bearer);
    expect(sse.res.status).toBe(200);
    sse.close();

    // Another principal: nothing of it, and no task on its account.
    const strangerBearer = await stack.bearer('tenant-many-stranger');
    const stranger = apiClient(stack.gatewayUrl, strangerBearer);
    expect((await stranger.call(`/api/v1/tasks/${task.id}`)).status).toBe(404);
    expect((await stranger.call(`/api/v1/content/${clipId}`)).status).toBe(404);
    expect((await stranger.call(`/api/v1/content/${clipId}/file`)).status).toBe(404);
    expect(
      ((await (await stranger.call(`/api/v1/tasks?account_id=${last.id}`)).json()) as { items: unknown[] }).items,
    ).toEqual([]);
    expect(((await (await stranger.call('/api/v1/content')).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await openSse(stack.gatewayUrl, `/api/v1/tasks/${task.id}/events`, strangerBearer)).res.status).toBe(404);
    expect((await stranger.post('/api/v1/tasks', { accountId: last.id, url: files.url('v.mp4') })).status).toBe(404);
  });

  it('rows from before owner scoping (no owner) are hidden until a job of their account names the owner', async () => {
    const bearer = await stack.bearer('tenant-legacy');
    const api = apiClient(stack.gatewayUrl, bearer);
    const account = await api.createAccount('legacy');
    const first = (await (
      await api.post('/api/v1/tasks', { accountId: account.id, url: files.url('v.mp4'), options })
    ).json()) as { id: string };
    await (await openSse(stack.gatewayUrl, `/api/v1/tasks/${first.id}/events`, bearer)).rest(); // ends when the task has
    const [clip] = ((await (await api.call(`/api/v1/tasks/${first.id}/clips`)).json()) as { items: { id: string }[] })
      .items;
    // As if rendered before owners were recorded.
    await stack.sql('repurposer', 'update $schema.tasks set owner_id = null where id = ?', [first.id]);
    await stack.sql('repurposer', 'update $schema.generated_content set owner_id = null where task_id = ?', [first.id]);
    // Read through a gateway that has served none of this task: the change above is made behind the
    // services' back (no fact announces it), so this one's task read model still holds the owner's view.
    const legacy = apiClient(await stack.addGateway(), bearer);
    expect((await legacy.call(`/api/v1/tasks/${first.id}`)).status).toBe(404);
    expect((await legacy.call(`/api/v1/content/${clip!.id}`)).status).toBe(404);
    // The next job of the account carries its owner: the account's ownerless rows are adopted with it.
    expect((await api.post('/api/v1/tasks', { accountId: account.id, url: files.url('v.mp4'), options })).status).toBe(
      202,
    );
    expect((await legacy.call(`/api/v1/tasks/${first.id}`)).status).toBe(200);
    expect((await legacy.call(`/api/v1/content/${clip!.id}`)).status).toBe(200);
  });
});
