import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { newTenant } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { startWebhookReceiver, type ReceivedCall, type WebhookReceiver } from './webhook-receiver.ts';

type Api = ReturnType<typeof apiClient>;
interface Hook {
  id: string;
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  accountId: string | null;
}
interface Attempt {
  attempt: number;
  responseStatus: number | null;
  outcome: string;
  error: string | null;
  startedAt: string;
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  attemptLog: Attempt[];
}

/** The receiver's side of the signature, written independently of the notifier's code. */
function verify(secret: string, call: ReceivedCall): boolean {
  const header = String(call.headers['reelforge-signature'] ?? '');
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${call.body}`).digest('hex');
  return parts.v1 === expected && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

// Webhooks through the public API against real local HTTP receivers: signed deliveries, retries
// with backoff, a webhook switched off after a run of failures, redelivery, and tenant isolation.
describe('webhooks', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  const receivers: WebhookReceiver[] = [];
  const receiver = async (answer?: Parameters<typeof startWebhookReceiver>[0]) => {
    const r = await startWebhookReceiver(answer);
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    stack = await startStack({
      withNotifier: true,
      env: {
        WEBHOOK_RETRY_INITIAL: '200ms',
        WEBHOOK_RETRY_MAX: '2s',
        WEBHOOK_MAX_ATTEMPTS: '4',
        WEBHOOK_DISABLE_AFTER: '3',
        WEBHOOK_POLL_INTERVAL: '100ms',
        WEBHOOK_TIMEOUT: '2s',
      },
    });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    const notes = join(stack.mediaRoot, 'notes.mp4');
    writeFileSync(notes, 'these are notes, not a video\n'.repeat(50));
    files = await serveFiles({ 'source.mp4': video, 'notes.mp4': notes });
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await files?.close();
    await stack?.stop();
  });

  const createHook = async (api: Api, body: Record<string, unknown>): Promise<Hook> => {
    const res = await api.post('/api/v1/webhooks', body);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Hook;
  };
  const deliveries = async (api: Api, hookId: string): Promise<Delivery[]> => {
    const res = await api.call(`/api/v1/webhooks/${hookId}/deliveries`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Delivery[] }).items;
  };
  const getHook = async (api: Api, hookId: string) =>
    (await (await api.call(`/api/v1/webhooks/${hookId}`)).json()) as Hook;
  /** A task on its own whose source is not a video: it fails (permanently) and says so as task.failed. */
  const failTask = async (api: Api, accountId: string): Promise<string> => {
    const res = await api.post('/api/v1/tasks', { accountId, url: files.url('notes.mp4'), options: { width: 360 } });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const notifiedOf = (api: Api, subjectId: string) =>
    eventually(
      'the owner is notified',
      async () => {
        const page = (await (await api.call('/api/v1/notifications')).json()) as { items: { subjectId: string }[] };
        return page.items.some((n) => n.subjectId === subjectId) ? true : undefined;
      },
      60_000,
    );

  it('delivers a finished generation signed with the secret, once, carrying its event id and no owner', async () => {
    const hooked = await receiver();
    const { api, account } = await newTenant(stack, 'hook-signed', [files.url('source.mp4')]);
    const hook = await createHook(api, { url: hooked.url(), events: ['generation.*'] });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook).toMatchObject({ enabled: true, accountId: null, consecutiveFailures: 0 });
    // The secret is shown once: never in a list or a read.
    expect(JSON.stringify(await (await api.call('/api/v1/webhooks')).json())).not.toContain(hook.secret);
    expect(JSON.stringify(await getHook(api, hook.id))).not.toContain(hook.secret);

    const start = await api.startGeneration(account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(start.status).toBe(202);
    const { generation } = (await start.json()) as StartedGeneration;

    const call = await hooked.next();
    expect(verify(hook.secret, call)).toBe(true);
    expect(verify(hook.secret, { ...call, body: call.body.replace('completed', 'failed') })).toBe(false);
    expect(verify('whsec_someone-else', call)).toBe(false);
    const body = JSON.parse(call.body) as {
      id: string;
      type: string;
      accountId: string;
      data: Record<string, unknown>;
    };
    expect(body).toMatchObject({
      type: 'generation.completed',
      accountId: account.id,
      data: { id: generation.id, status: 'completed' },
    });
    expect(call.headers).toMatchObject({
      'reelforge-event-id': body.id,
      'reelforge-event-type': 'generation.completed',
      'content-type': 'application/json',
    });
    expect(call.body).not.toContain('hook-signed'); // the owner principal is never in a payload

    const [delivery] = await eventually('recorded as delivered', async () => {
      const list = await deliveries(api, hook.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(delivery).toMatchObject({
      eventId: body.id,
      eventType: 'generation.completed',
      attempts: 1,
      attemptLog: [expect.objectContaining({ attempt: 1, responseStatus: 200, outcome: 'delivered', error: null })],
    });

    // Redelivery: the same event once more, one attempt, now.
    const again = await api.post(`/api/v1/webhooks/${hook.id}/deliveries/${delivery!.id}/redeliver`, undefined);
    expect(again.status).toBe(200);
    const second = await hooked.next();
    expect(second.headers['reelforge-event-id']).toBe(body.id);
    expect(second.headers['reelforge-delivery-attempt']).toBe('2');
    expect(second.body).toBe(call.body);
    expect(verify(hook.secret, second)).toBe(true);
    const after = await eventually('the redelivery is recorded', async () => {
      const [d] = await deliveries(api, hook.id);
      return d?.status === 'delivered' && d.attempts === 2 ? d : undefined;
    });
    expect(after.attemptLog.map((a) => a.outcome)).toEqual(['delivered', 'delivered']);
    expect(hooked.calls).toHaveLength(2);
  });

  it('retries after 500s with growing waits, each attempt recorded, then delivers', async () => {
    const flaky = await receiver((_call, index) => (index < 2 ? 500 : 200));
    const { api, account } = await newTenant(stack, 'hook-flaky', []);
    const hook = await createHook(api, { url: flaky.url(), events: ['task.failed'] });
    const taskId = await failTask(api, account.id);

    const calls = [await flaky.next(), await flaky.next(), await flaky.next()];
    expect(calls.map((c) => c.headers['reelforge-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(calls.map((c) => c.headers['reelforge-event-id'])).size).toBe(1);
    expect(JSON.parse(calls[0]!.body)).toMatchObject({
      type: 'task.failed',
      accountId: account.id,
      data: { taskId, status: 'failed' },
    });
    // Backoff doubles from 200 ms: at least ~200 ms, then ~400 ms between attempts.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(180);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(360);

    const [delivery] = await eventually('delivered on the third attempt', async () => {
      const list = await deliveries(api, hook.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(delivery!.attemptLog.map((a) => [a.outcome, a.responseStatus])).toEqual([
      ['retry', 500],
      ['retry', 500],
      ['delivered', 200],
    ]);
    expect(delivery!.attemptLog[0]!.error).toContain('HTTP 500');
    expect((await getHook(api, hook.id)).consecutiveFailures).toBe(0);
  });

  it('switches a failing webhook off with the reason, sends it nothing while off, and delivers what waited once enabled', async () => {
    const down = await receiver(() => 500);
    const { api, account } = await newTenant(stack, 'hook-down', []);
    const hook = await createHook(api, { url: down.url(), events: ['*'] });
    await failTask(api, account.id);
    await down.next();
    await down.next();
    await down.next();
    const off = await eventually('switched off', async () => {
      const h = await getHook(api, hook.id);
      return h.enabled ? undefined : h;
    });
    expect(off.consecutiveFailures).toBe(3);
    expect(off.disabledReason).toContain('3 failed deliveries in a row');
    expect(off.disabledReason).toContain('HTTP 500');
    const [waiting] = await deliveries(api, hook.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 3 });
    // A redelivery of a switched-off webhook is refused with the reason.
    const refused = await api.post(`/api/v1/webhooks/${hook.id}/deliveries/${waiting!.id}/redeliver`, undefined);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('switched off');

    // While off, a new fact queues nothing for it (its notification exists: the same transaction ran).
    const second = await failTask(api, account.id);
    await notifiedOf(api, second);
    expect(await deliveries(api, hook.id)).toHaveLength(1);
    expect(down.calls).toHaveLength(3);

    down.answerWith(() => 204);
    const enabled = await api.call(`/api/v1/webhooks/${hook.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: true }),
    });
    expect(await enabled.json()).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    const resumed = await down.next();
    expect(resumed.headers['reelforge-delivery-attempt']).toBe('4');
    const [done] = await eventually('delivered after enabling', async () => {
      const list = await deliveries(api, hook.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(done!.attemptLog.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'delivered']);
  });

  it('an account-scoped webhook hears only that account; another tenant can neither see nor touch it', async () => {
    const scoped = await receiver();
    const { api, account } = await newTenant(stack, 'hook-scoped', []);
    const otherAccount = await api.createAccount('hook-scoped second account');
    const hook = await createHook(api, { url: scoped.url(), events: ['task.failed'], accountId: account.id });
    expect(hook.accountId).toBe(account.id);

    const elsewhere = await failTask(api, otherAccount.id);
    await notifiedOf(api, elsewhere);
    const here = await failTask(api, account.id);
    const call = await scoped.next();
    expect(JSON.parse(call.body)).toMatchObject({ accountId: account.id, data: { taskId: here } });
    await notifiedOf(api, here);
    expect(await deliveries(api, hook.id)).toHaveLength(1);

    const stranger = apiClient(stack.gatewayUrl, await stack.bearer('hook-stranger'));
    expect(await (await stranger.call('/api/v1/webhooks')).json()).toEqual({ items: [] });
    expect((await stranger.call(`/api/v1/webhooks/${hook.id}`)).status).toBe(404);
    expect(
      (
        await stranger.call(`/api/v1/webhooks/${hook.id}`, {
          method: 'PATCH',
          body: JSON.stringify({ enabled: false }),
        })
      ).status,
    ).toBe(404);
    expect((await stranger.call(`/api/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    const [delivery] = await deliveries(api, hook.id);
    expect(
      (await stranger.post(`/api/v1/webhooks/${hook.id}/deliveries/${delivery!.id}/redeliver`, undefined)).status,
    ).toBe(404);
    expect((await stranger.call(`/api/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(404);
    // A hook on someone else's account is refused like any foreign account.
    expect(
      (await stranger.post('/api/v1/webhooks', { url: scoped.url(), events: ['*'], accountId: account.id })).status,
    ).toBe(404);
    expect((await getHook(api, hook.id)).enabled).toBe(true);

    expect((await api.call(`/api/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api.call(`/api/v1/webhooks/${hook.id}`)).status).toBe(404);
  });

  it('refuses filters that match no event and URLs that are not http(s)', async () => {
    const api = apiClient(stack.gatewayUrl, await stack.bearer('hook-validation'));
    const typo = await api.post('/api/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['generation.complete'],
    });
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: { message: string } }).error.message).toContain('generation.complete');
    expect((await api.post('/api/v1/webhooks', { url: 'ftp://example.com/hook', events: ['*'] })).status).toBe(400);
    expect((await api.post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: [] })).status).toBe(400);
    expect((await api.call('/api/v1/webhooks/not-an-id')).status).toBe(400);
  });
});
