import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, probeSummary, serveFiles } from '@reelforge/testing';
import { startStack, type Stack } from '../support/stack.ts';
import { openWs } from '../support/ws-client.ts';

// The platform's one real flow, end to end, on real NATS, PostgreSQL and ffmpeg:
// HTTP → orchestrator (generation + outbox) → render job → repurposer (ffmpeg) → task events →
// orchestrator counters → generation event → gateway → WebSocket.
describe('generation flow, end to end', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack();
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    files = await serveFiles({ 'source.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('renders a 9:16 clip, counts it, closes the generation and pushes the status over WebSocket', async () => {
    const bearer = await stack.bearer('tenant-a');
    const auth = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
    const api = (path: string, init: RequestInit = {}) => fetch(`${stack.gatewayUrl}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });

    const accountRes = await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'Creator A' }) });
    expect(accountRes.status).toBe(201);
    const account = (await accountRes.json()) as { id: string };
    const sourceRes = await api(`/api/v1/accounts/${account.id}/sources`, { method: 'POST', body: JSON.stringify({ url: files.url('source.mp4') }) });
    expect(sourceRes.status).toBe(201);

    const ws = await openWs(stack.gatewayUrl, bearer);
    await ws.waitFor('greeting', (m) => m.type === 'connection');

    const startRes = await api(`/api/v1/accounts/${account.id}/generations`, { method: 'POST', body: JSON.stringify({ type: 'shorts', count: 1, options: { width: 360, preset: 'ultrafast' } }) });
    expect(startRes.status).toBe(202);
    const { generation } = (await startRes.json()) as { generation: { id: string; taskIds: string[]; counters: { totalRequested: number } } };
    expect(generation.counters.totalRequested).toBe(1);
    expect(generation.taskIds).toHaveLength(1);

    ws.send({ subscribe: generation.id });
    await ws.waitFor('subscribed', (m) => m.type === 'subscribed' && m.id === generation.id);
    const done = await ws.waitFor('generation completed', (m) => m.type === 'job_status' && m.job_id === generation.id && (m.status as { status: string }).status === 'completed');
    expect((done.status as { counters: Record<string, number> }).counters).toMatchObject({ totalRequested: 1, completed: 1, failed: 0, cancelled: 0, queued: 0, processing: 0 });
    // Sequence numbers are per connection, strictly increasing.
    const seqs = ws.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    ws.close();

    // Stored rows, on both sides.
    const [gen] = await stack.sql<{ status: string; completed: number; total_requested: number }>('orchestrator', 'select * from $schema.generations where id = ?', [generation.id]);
    expect(gen).toMatchObject({ status: 'completed', completed: 1, total_requested: 1 });
    expect(await stack.sql('orchestrator', 'select * from $schema.generation_locks where account_id = ?', [account.id])).toHaveLength(0);
    const [source] = await stack.sql<{ state: string }>('orchestrator', 'select state from $schema.source_videos where account_id = ?', [account.id]);
    expect(source?.state).toBe('used');
    const [task] = await stack.sql<{ status: string; stage: string }>('repurposer', 'select * from $schema.tasks where id = ?', [generation.taskIds[0]]);
    expect(task).toMatchObject({ status: 'completed', stage: 'completed' });
    const clips = await stack.sql<{ media_key: string; width: number; height: number; size_bytes: string }>('repurposer', 'select * from $schema.generated_content where task_id = ?', [generation.taskIds[0]]);
    expect(clips).toHaveLength(1);

    // The file itself: 9:16, video and audio.
    const file = join(stack.mediaRoot, clips[0]!.media_key);
    expect(existsSync(file)).toBe(true);
    const probe = await probeSummary(inject('ffprobePath'), file);
    expect(probe).toMatchObject({ width: 360, height: 640, hasVideo: true, hasAudio: true });
    expect(probe.durationSeconds).toBeGreaterThan(1.5);
    expect(clips[0]).toMatchObject({ width: 360, height: 640 });
  });
});
