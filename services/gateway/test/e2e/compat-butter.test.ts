import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { openSse, type SseItem } from '../support/sse-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

// Butter's backend routes ("Butter Backend", API Endpoints: Task Management and Generation Status;
// "Automatic Content Generation": the account fields), served by the gateway with
// COMPAT_SURFACES=butter over the real services. Its scheduler job names are tested with the
// scheduler (scheduler-run-cli.test.ts).
describe('Butter compatibility surface', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let user: Awaited<ReturnType<typeof newTenant>>;
  let generation: StartedGeneration['generation'];
  const events: Extract<SseItem, { kind: 'event' }>[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { COMPAT_SURFACES: 'butter' } });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 2 });
    files = await serveFiles({ 'v.mp4': video });
    user = await newTenant(stack, 'butter-user', [files.url('v.mp4')]);
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });
  const call = async (path: string, init: RequestInit = {}, bearer = user.bearer) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${bearer}`, ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('"GET /api/v2/content/generation/events" streams a generation’s progress and status in snake_case', async () => {
    const sse = await openSse(
      stack.gatewayUrl,
      `/api/v2/content/generation/events?account_id=${user.account.id}`,
      user.bearer,
    );
    const res = await user.api.startGeneration(user.account.id, {
      type: 'shorts',
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(res.status).toBe(202);
    generation = ((await res.json()) as StartedGeneration).generation;
    for (let item = await sse.next(); item; item = await sse.next()) {
      if (item.kind !== 'event') continue;
      events.push(item);
      const status = item.data.status as { status?: string } | undefined;
      if (item.data.kind === 'generation' && status?.status === 'completed') break;
    }
    sse.close();
    const progress = events.filter((e) => e.event === 'job_progress');
    expect(progress.length).toBeGreaterThan(2);
    expect(progress[0]!.data).toMatchObject({
      job_id: generation.taskIds[0],
      generation_id: generation.id,
    });
    expect(progress[0]!.data).toHaveProperty('eta_seconds');
    const done = events.at(-1)!;
    expect(done.data.status).toMatchObject({ id: generation.id, account_id: user.account.id, status: 'completed' });
  }, 120_000);

  it('"Task Management": a task, the account’s tasks, stats, retry and cancel refusals, in snake_case', async () => {
    const taskId = generation.taskIds[0]!;
    const task = await call(`/api/v1/repurposer/tasks/${taskId}`);
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({
      id: taskId,
      account_id: user.account.id,
      generation_id: generation.id,
      status: 'completed',
    });
    expect(task.body).toHaveProperty('finished_at');
    const listed = await call(`/api/v1/repurposer/tasks?account_id=${user.account.id}`);
    expect((listed.body.tasks as { id: string }[]).map((t) => t.id)).toEqual([taskId]);
    expect(listed.body).toHaveProperty('next_cursor', null);
    const stats = await call('/api/v1/repurposer/stats');
    expect(stats.body).toMatchObject({ by_status: { completed: 1 }, completed_last_hour: 1 });
    // Retry of a completed task and cancel of a finished one: v1's refusals.
    expect((await call(`/api/v1/repurposer/tasks/${taskId}/retry`, { method: 'POST' })).status).toBe(409);
    expect((await call(`/api/v1/repurposer/tasks/${taskId}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  it('"Generation Status": current status and history for the account', async () => {
    const status = await call(`/api/v2/content/generation/status?account_id=${user.account.id}`);
    expect(status.body).toEqual({ account_id: user.account.id, is_generating: false, generations: [] });
    const history = await call(`/api/v2/content/generation/history?account_id=${user.account.id}`);
    const [g] = history.body.generations as Record<string, unknown>[];
    expect(g).toMatchObject({ id: generation.id, status: 'completed', counters: { total_requested: 1, completed: 1 } });
    // Without account_id: the caller's (oldest) account.
    expect((await call('/api/v2/content/generation/history')).body.account_id).toBe(user.account.id);
  });

  it('"Automatic Content Generation": auto_generate_enabled and auto_generate_hour are accepted on the account', async () => {
    const res = await fetch(`${stack.gatewayUrl}/api/v1/accounts/${user.account.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ auto_generate_enabled: true, auto_generate_hour: 10 }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ autoGenerateEnabled: true, autoGenerateHour: 10 });
    const both = await fetch(`${stack.gatewayUrl}/api/v1/accounts/${user.account.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ auto_generate_hour: 9, autoGenerateHour: 10 }),
    });
    expect(both.status).toBe(400);
  });

  it('another tenant sees none of it', async () => {
    const stranger = await stack.bearer('butter-stranger');
    expect((await call(`/api/v1/repurposer/tasks/${generation.taskIds[0]!}`, {}, stranger)).status).toBe(404);
    expect((await call(`/api/v2/content/generation/history?account_id=${user.account.id}`, {}, stranger)).status).toBe(
      404,
    );
    expect((await call('/api/v2/content/generation/status', {}, stranger)).status).toBe(404);
    const sse = await fetch(`${stack.gatewayUrl}/api/v2/content/generation/events?account_id=${user.account.id}`, {
      headers: { authorization: `Bearer ${stranger}` },
    });
    expect(sse.status).toBe(404);
  });
});
