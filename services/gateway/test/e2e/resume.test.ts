import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { openWs, type WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;
const facts = (ms: WsMessage[]) => ms.filter((m) => m.type === 'job_status' && !m.snapshot).map((m) => m.event_id as string);

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
    const { bearer, api, account } = await newTenant(stack, 'tenant-resume', ['a.mp4', 'b.mp4', 'c.mp4'].map((f) => files.url(f)));
    const control = await watchAccount(stack, bearer, account.id); // stays connected throughout
    const client = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (await api.startGeneration(account.id, { type: 'shorts', count: 3, options: { width: 360, preset: 'ultrafast' } })).json()) as StartedGeneration;

    // The client drops after its first task fact.
    const firstFact = await client.waitFor('first task fact', (m) => m.type === 'job_status' && m.kind === 'task');
    client.close();
    await client.closed;
    const seenBefore = facts(client.messages);
    const cursor = [...client.messages].reverse().find((m) => typeof m.cursor === 'string')!.cursor as string;
    expect(firstFact.cursor).toBeDefined();

    await control.waitFor('generation completed', (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed');
    const all = facts(control.messages);
    control.close();

    const resumed = await openWs(stack.gatewayUrl, bearer);
    resumed.send({ subscribe_account: account.id, since: cursor });
    await resumed.waitFor('subscribed', (m) => m.type === 'subscribed' && m.resumed_from === cursor);
    await resumed.waitFor('terminal fact replayed', (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed');
    const replayed = facts(resumed.messages);
    resumed.close();

    expect(new Set(replayed).size).toBe(replayed.length); // none twice
    expect(replayed.filter((id) => seenBefore.includes(id))).toEqual([]); // nothing it had already seen
    expect(new Set([...seenBefore, ...replayed])).toEqual(new Set(all)); // and nothing missing
    expect(replayed.length).toBeGreaterThan(3);
    // A malformed cursor is refused.
    const bad = await openWs(stack.gatewayUrl, bearer);
    bad.send({ subscribe_account: account.id, since: 'yesterday' });
    expect(await bad.waitFor('refusal', (m) => m.type === 'error')).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    bad.close();
  });
});
