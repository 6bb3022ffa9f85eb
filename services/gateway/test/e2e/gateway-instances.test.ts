import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { openWs, type WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;

// Two gateway instances on the same services: each consumes the status subjects itself, so a
// client on either sees everything; caches never hide what another instance just created.
describe('several gateway instances', () => {
  let stack: Stack;
  let second: string;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack();
    second = await stack.addGateway();
    files = await serveFiles({
      'source.mp4': await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 }),
    });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('a task started through one instance right after its account was created through the other is seen live on both', async () => {
    const bearer = await stack.bearer('tenant-two-gateways');
    const one = apiClient(stack.gatewayUrl, bearer);
    const two = apiClient(second, bearer);
    // Warm the second instance's account cache before the account exists…
    expect(((await (await two.call('/api/v1/tasks')).json()) as { items: unknown[] }).items).toEqual([]);
    const account = await one.createAccount('Two gateways');
    // …then use the new account there at once: no stale 404.
    const wsOne = await openWs(stack.gatewayUrl, bearer);
    const wsTwo = await openWs(second, bearer);
    for (const ws of [wsOne, wsTwo]) {
      ws.send({ subscribe_account: account.id });
      await ws.waitFor('subscribed', (m) => m.type === 'subscribed' && m.id === account.id);
    }
    const res = await two.post('/api/v1/tasks', {
      accountId: account.id,
      url: files.url('source.mp4'),
      options: { width: 360, preset: 'ultrafast' },
    });
    const task = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(task)).toBe(202);
    for (const ws of [wsOne, wsTwo]) {
      await ws.waitFor(
        'completed',
        (m) => m.type === 'job_status' && m.job_id === task.id && statusOf(m) === 'completed',
      );
      ws.close();
    }
    expect((await one.call(`/api/v1/tasks/${task.id}`)).status).toBe(200);
    expect((await two.call(`/api/v1/tasks/${task.id}`)).status).toBe(200);
  });
});
