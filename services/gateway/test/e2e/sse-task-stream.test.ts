import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { openSse, statusIn } from '../support/sse-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

const TERMINAL = ['completed', 'failed', 'cancelled'];
const options = { width: 360, preset: 'ultrafast', mode: 'pad', segments: [{ parts: [{ start: 0.2, end: 1.8 }] }] };

// A task's event stream says where the task stands first and ends after its terminal status, so a
// client that connects late is not left waiting; an account's stream stays open.
describe('SSE task stream: snapshot first, ends after the terminal event', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  beforeAll(async () => {
    // The first download fails and the retry waits ≥ 0.8 s: the task is certainly still running when the stream opens.
    stack = await startStack({
      env: { TASK_INITIAL_RETRY_DELAY: '1s', TASK_MAX_RETRY_DELAY: '1s', WS_HEARTBEAT_INTERVAL: '1s' },
    });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 3 });
    files = await serveFiles({ 'flaky.mp4': video, 'ok.mp4': video }, { failFirst: { 'flaky.mp4': 1 } });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('opened while the task runs: the snapshot, progress, the terminal event, then the end; opened after: the snapshot alone, then the end', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-sse-end', []);
    const created = await api.post('/api/v1/tasks', { accountId: account.id, url: files.url('flaky.mp4'), options });
    expect(created.status).toBe(202);
    const { id: taskId } = (await created.json()) as { id: string };

    const live = await openSse(stack.gatewayUrl, `/api/v1/tasks/${taskId}/events`, bearer);
    expect(live.res.status).toBe(200);
    const events = await live.rest(); // returns only because the server ends the stream
    const [snapshot] = events;
    expect(snapshot).toMatchObject({ event: 'job_status', id: undefined, data: { job_id: taskId, snapshot: true } });
    expect(TERMINAL).not.toContain(statusIn(snapshot!));
    expect(events.some((e) => e.event === 'job_progress' && e.data.job_id === taskId)).toBe(true);
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ event: 'job_status', data: { job_id: taskId, status: { status: 'completed' } } });
    expect(last.id).toMatch(/^\d+-\d+$/);
    // The failed first attempt was no end: only the last event is terminal.
    expect(events.slice(0, -1).filter((e) => TERMINAL.includes(statusIn(e) ?? ''))).toEqual([]);

    // Connecting after the end: where it stands, then the stream ends.
    const late = await openSse(stack.gatewayUrl, `/api/v1/tasks/${taskId}/events`, bearer);
    expect(late.res.status).toBe(200);
    const lateEvents = await late.rest();
    expect(lateEvents).toHaveLength(1);
    expect(lateEvents[0]).toMatchObject({
      event: 'job_status',
      data: { job_id: taskId, snapshot: true, status: { status: 'completed', progress: 100 } },
    });

    // An EventSource reconnecting with the terminal event's id is told there is nothing more (204 stops it).
    const reconnect = await openSse(stack.gatewayUrl, `/api/v1/tasks/${taskId}/events`, bearer, last.id);
    expect(reconnect.res.status).toBe(204);
    // One that missed the end gets it, then the end.
    const missed = await openSse(
      stack.gatewayUrl,
      `/api/v1/tasks/${taskId}/events`,
      bearer,
      events.find((e) => e.id !== undefined)!.id,
    );
    expect(missed.res.status).toBe(200);
    expect(statusIn((await missed.rest()).at(-1)!)).toBe('completed');

    // Another principal gets a 404 and no stream.
    const stranger = await openSse(
      stack.gatewayUrl,
      `/api/v1/tasks/${taskId}/events`,
      await stack.bearer('tenant-sse-end-stranger'),
    );
    expect(stranger.res.status).toBe(404);
  });

  it("an account's stream stays open after a task's terminal event", async () => {
    const { bearer, account } = await newTenant(stack, 'tenant-sse-account', []);
    const stream = await openSse(stack.gatewayUrl, `/api/v1/events?account_id=${account.id}`, bearer);
    expect(stream.res.status).toBe(200);
    const created = await apiClient(stack.gatewayUrl, bearer).post('/api/v1/tasks', {
      accountId: account.id,
      url: files.url('ok.mp4'),
      options,
    });
    const { id: taskId } = (await created.json()) as { id: string };
    for (
      let e = await stream.nextEvent();
      !(e?.kind === 'event' && e.data.job_id === taskId && statusIn(e) === 'completed');
      e = await stream.nextEvent()
    ) {
      expect(e, 'the account stream ended').not.toBeNull();
    }
    // Still open: the next thing it sends is a heartbeat, not the end.
    expect(await stream.next()).toEqual({ kind: 'comment', text: 'ping' });
    stream.close();
  });
});
