import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { openWs, type WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;
const facts = (ms: WsMessage[]) =>
  ms.filter((m) => m.type === 'job_status' && !m.snapshot).map((m) => m.event_id as string);

// A client that drops mid-generation and reconnects with the cursor it last saw gets every fact it
// missed, the terminal one included, and none twice (JetStream replays them).
describe('WebSocket resume', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  beforeAll(async () => {
    stack = await startStack();
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 2 });
    files = await serveFiles({ 'a.mp4': video, 'b.mp4': video, 'c.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('replays what a dropped client missed after its cursor, then goes on live', async () => {
    const { bearer, api, account } = await newTenant(
      stack,
      'tenant-resume',
      ['a.mp4', 'b.mp4', 'c.mp4'].map((f) => files.url(f)),
    );
    const control = await watchAccount(stack, bearer, account.id); // stays connected throughout
    const client = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', count: 3, options: { width: 360, preset: 'ultrafast' } })
    ).json()) as StartedGeneration;

    // The client drops after its first task fact.
    const firstFact = await client.waitFor('first task fact', (m) => m.type === 'job_status' && m.kind === 'task');
    client.close();
    await client.closed;
    const seenBefore = facts(client.messages);
    const cursor = [...client.messages].reverse().find((m) => typeof m.cursor === 'string')!.cursor as string;
    expect(firstFact.cursor).toBeDefined();

    await control.waitFor(
      'generation completed',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed',
    );
    const all = facts(control.messages);
    control.close();

    const resumed = await openWs(stack.gatewayUrl, bearer);
    resumed.send({ subscribe_account: account.id, since: cursor });
    await resumed.waitFor('subscribed', (m) => m.type === 'subscribed' && m.resumed_from === cursor);
    await resumed.waitFor(
      'terminal fact replayed',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed',
    );
    const replayed = facts(resumed.messages);
    resumed.close();

    expect(new Set(replayed).size).toBe(replayed.length); // none twice
    expect(replayed.filter((id) => seenBefore.includes(id))).toEqual([]); // nothing it had already seen
    expect(new Set([...seenBefore, ...replayed])).toEqual(new Set(all)); // and nothing missing
    expect(replayed.length).toBeGreaterThan(3);
    // A malformed cursor is refused.
    const bad = await openWs(stack.gatewayUrl, bearer);
    bad.send({ subscribe_account: account.id, since: 'yesterday' });
    expect(await bad.waitFor('refusal', (m) => m.type === 'error')).toMatchObject({
      error: { code: 'VALIDATION_FAILED' },
    });
    bad.close();
  });

  it('serves a task as Server-Sent Events and resumes from Last-Event-ID', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-sse', [files.url('a.mp4')]);
    const watch = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, {
        type: 'sse',
        options: { width: 360, preset: 'ultrafast', maxDurationSeconds: 1 },
      })
    ).json()) as StartedGeneration;
    const taskId = generation.taskIds[0]!;
    // The task is the repurposer's once it has taken the job.
    await watch.waitFor('task taken', (m) => m.type === 'job_status' && m.job_id === taskId);
    watch.close();
    const read = async (
      lastEventId: string | undefined,
      until: (e: { id: string; event: string; data: Record<string, unknown> }) => boolean,
    ) => {
      const controller = new AbortController();
      const res = await fetch(`${stack.gatewayUrl}/api/v1/tasks/${taskId}/events`, {
        headers: { authorization: `Bearer ${bearer}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const events: { id: string; event: string; data: Record<string, unknown> }[] = [];
      const decoder = new TextDecoder();
      const reader = res.body!.getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return events;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const field = (name: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${name}: `))
              ?.slice(name.length + 2);
          const data = field('data');
          if (!data) continue;
          const e = { id: field('id')!, event: field('event')!, data: JSON.parse(data) as Record<string, unknown> };
          events.push(e);
          if (until(e)) {
            await reader.cancel().catch(() => undefined);
            controller.abort();
            return events;
          }
        }
      }
    };
    const done = (e: { event: string; data: Record<string, unknown> }) =>
      e.event === 'job_status' && (e.data.status as { status: string }).status === 'completed';
    // First connection: drop after the first stored fact (the snapshot before it has no id).
    const first = await read(undefined, (e) => e.id !== undefined);
    const firstFact = first.at(-1)!;
    expect(firstFact.data.job_id).toBe(taskId);
    // Reconnect with its id: the rest up to the task's completion, nothing already seen.
    const rest = await read(firstFact.id, done);
    expect(rest.some(done)).toBe(true);
    const ids = [firstFact.data.event_id, ...rest.filter((e) => !e.data.snapshot).map((e) => e.data.event_id)];
    expect(new Set(ids).size).toBe(ids.length);
    expect(rest.every((e) => e.data.job_id === taskId)).toBe(true);
    // Another tenant cannot open the stream.
    const stranger = await fetch(`${stack.gatewayUrl}/api/v1/tasks/${taskId}/events`, {
      headers: { authorization: `Bearer ${await stack.bearer('sse-stranger')}` },
    });
    expect(stranger.status).toBe(404);
  });
});
