import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, probeSummary, serveFiles } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
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
    const corrupt = join(stack.mediaRoot, 'corrupt.mp4');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('not a video at all '), randomBytes(4096)]));
    const captions = join(stack.mediaRoot, 'captions.vtt');
    writeFileSync(captions, 'WEBVTT\n\n00:00.200 --> 00:01.800\nHello from the captions.\n');
    files = await serveFiles({ 'source.mp4': video, 'corrupt.mp4': corrupt, 'captions.vtt': captions });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('renders a 9:16 clip, counts it, closes the generation and pushes the status over WebSocket', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-a', [files.url('source.mp4')]);

    const ws = await openWs(stack.gatewayUrl, bearer);
    await ws.waitFor('greeting', (m) => m.type === 'connection');

    const startRes = await api.startGeneration(account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(startRes.status).toBe(202);
    const { generation } = (await startRes.json()) as StartedGeneration;
    expect(generation.counters.totalRequested).toBe(1);
    expect(generation.taskIds).toHaveLength(1);

    ws.send({ subscribe: generation.id });
    await ws.waitFor('subscribed', (m) => m.type === 'subscribed' && m.id === generation.id);
    const done = await ws.waitFor(
      'generation completed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === generation.id &&
        (m.status as { status: string }).status === 'completed',
    );
    expect((done.status as { counters: Record<string, number> }).counters).toMatchObject({
      totalRequested: 1,
      completed: 1,
      failed: 0,
      cancelled: 0,
      queued: 0,
      processing: 0,
    });
    // Sequence numbers are per connection, strictly increasing.
    const seqs = ws.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    ws.close();

    // Stored rows, on both sides.
    const [gen] = await stack.sql<{ status: string; completed: number; total_requested: number }>(
      'orchestrator',
      'select * from $schema.generations where id = ?',
      [generation.id],
    );
    expect(gen).toMatchObject({ status: 'completed', completed: 1, total_requested: 1 });
    expect(
      await stack.sql('orchestrator', 'select * from $schema.generation_locks where account_id = ?', [account.id]),
    ).toHaveLength(0);
    const [source] = await stack.sql<{ state: string }>(
      'orchestrator',
      'select state from $schema.source_videos where account_id = ?',
      [account.id],
    );
    expect(source?.state).toBe('used');
    const [task] = await stack.sql<{ status: string; stage: string }>(
      'repurposer',
      'select * from $schema.tasks where id = ?',
      [generation.taskIds[0]],
    );
    expect(task).toMatchObject({ status: 'completed', stage: 'completed' });
    const clips = await stack.sql<{ media_key: string; width: number; height: number; size_bytes: string }>(
      'repurposer',
      'select * from $schema.generated_content where task_id = ?',
      [generation.taskIds[0]],
    );
    expect(clips).toHaveLength(1);

    // The file itself: 9:16, video and audio.
    const file = join(stack.mediaRoot, clips[0]!.media_key);
    expect(existsSync(file)).toBe(true);
    const probe = await probeSummary(inject('ffprobePath'), file);
    expect(probe).toMatchObject({ width: 360, height: 640, hasVideo: true, hasAudio: true });
    expect(probe.durationSeconds).toBeGreaterThan(1.5);
    expect(clips[0]).toMatchObject({ width: 360, height: 640 });

    // The clip through the API: listed, described, and streamed with HTTP Range.
    const listed = (await (await api.call(`/api/v1/content?account_id=${account.id}`)).json()) as {
      items: { id: string; sizeBytes: number; taskId: string }[];
    };
    expect(listed.items).toHaveLength(1);
    const content = listed.items[0]!;
    expect(content.taskId).toBe(generation.taskIds[0]);
    const bytes = readFileSync(file);
    expect(content.sizeBytes).toBe(bytes.length);
    const part = await api.call(`/api/v1/content/${content.id}/file`, { headers: { range: 'bytes=100-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(part.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 1100))).toBe(true);
    const whole = await api.call(`/api/v1/content/${content.id}/file`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    expect(
      (await api.call(`/api/v1/content/${content.id}/file`, { headers: { range: `bytes=${bytes.length + 10}-` } }))
        .status,
    ).toBe(416);
    // Its description and thumbnail: the segment it was cut from, a JPEG of the same aspect.
    const described = (await (await api.call(`/api/v1/content/${content.id}`)).json()) as {
      segment: { start: number; end: number }[];
      reason: string;
      hasThumbnail: boolean;
      captioned: boolean;
    };
    expect(described).toMatchObject({ hasThumbnail: true, captioned: false });
    expect(described.segment).toHaveLength(1);
    expect(described.reason.length).toBeGreaterThan(0);
    const thumb = await api.call(`/api/v1/content/${content.id}/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect(
      Buffer.from(await thumb.arrayBuffer())
        .subarray(0, 3)
        .toString('hex'),
    ).toBe('ffd8ff');

    const stranger = apiClient(stack.gatewayUrl, await stack.bearer('tenant-stranger'));
    expect((await stranger.call(`/api/v1/content/${content.id}/file`)).status).toBe(404);
    expect((await stranger.call(`/api/v1/content/${content.id}/thumbnail`)).status).toBe(404);
    expect((await stranger.call(`/api/v1/content/${content.id}`)).status).toBe(404);
  });

  it('a socket follows one task by its id: snapshot, progress, completion; another tenant is refused', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-task-ws', [files.url('source.mp4')]);
    // A generation's task is the repurposer's once it has taken the job (docs/architecture.md, known limitation).
    const watch = await watchAccount(stack, bearer, account.id);
    // Held by the queue until the socket is subscribed: a second source would race it, so one task it is.
    const started = await api.startGeneration(account.id, {
      type: 'task-ws',
      options: { width: 360, preset: 'ultrafast' },
    });
    const body = (await started.json()) as StartedGeneration;
    expect(started.status, JSON.stringify(body)).toBe(202);
    const taskId = body.generation.taskIds[0]!;
    await watch.waitFor('task taken', (m) => m.type === 'job_status' && m.job_id === taskId);
    watch.close();
    const ws = await openWs(stack.gatewayUrl, bearer);
    ws.send({ subscribe: taskId });
    const subscribed = await ws.waitFor('subscribed', (m) => m.type === 'subscribed' && m.id === taskId);
    expect(subscribed.kind).toBe('task');
    const snapshot = await ws.waitFor(
      'snapshot',
      (m) => m.type === 'job_status' && m.job_id === taskId && m.snapshot === true,
    );
    expect(snapshot.kind).toBe('task');
    const done = await ws.waitFor(
      'task completed',
      (m) => m.type === 'job_status' && m.job_id === taskId && (m.status as { status: string }).status === 'completed',
    );
    expect((done.status as { output: { contentIds: string[] } }).output.contentIds).toHaveLength(1);
    // Only this task's facts: never the generation's own status messages.
    expect(
      ws.messages.filter((m) => m.type === 'job_status' || m.type === 'job_progress').every((m) => m.job_id === taskId),
    ).toBe(true);
    ws.close();

    const stranger = await openWs(stack.gatewayUrl, await stack.bearer('tenant-task-ws-stranger'));
    stranger.send({ subscribe: taskId });
    const refused = await stranger.waitFor('refused', (m) => m.type === 'error' && m.id === taskId);
    expect((refused.error as { code: string }).code).toBe('NOT_FOUND');
    stranger.close();
  });

  it('POST /tasks renders one source with explicit options outside any generation; GET /tasks lists it', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-task', []);
    const ws = await openWs(stack.gatewayUrl, bearer);
    const res = await api.post('/api/v1/tasks', {
      accountId: account.id,
      url: files.url('source.mp4'),
      options: {
        width: 360,
        preset: 'ultrafast',
        mode: 'pad',
        segments: [{ parts: [{ start: 0.2, end: 1.8 }] }],
        title: { text: 'Hello' },
      },
    });
    const task = (await res.json()) as { id: string; status: string; generationId: string | null };
    expect(res.status, JSON.stringify(task)).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/v1/tasks/${task.id}`);
    expect(task).toMatchObject({ status: 'queued', generationId: null });
    ws.send({ subscribe: task.id });
    await ws.waitFor('subscribed', (m) => m.type === 'subscribed' && m.id === task.id);
    await ws.waitFor(
      'task completed',
      (m) => m.type === 'job_status' && m.job_id === task.id && (m.status as { status: string }).status === 'completed',
    );
    ws.close();

    const clips = (await (await api.call(`/api/v1/tasks/${task.id}/clips`)).json()) as {
      items: { segment: { start: number; end: number }[]; title: string | null; durationSeconds: number }[];
    };
    expect(clips.items).toHaveLength(1);
    expect(clips.items[0]).toMatchObject({ segment: [{ start: 0.2, end: 1.8 }], title: 'Hello' });
    expect(Math.abs(clips.items[0]!.durationSeconds - 1.6)).toBeLessThanOrEqual(0.1);
    const listed = (await (await api.call(`/api/v1/tasks?account_id=${account.id}&status=completed`)).json()) as {
      items: { id: string }[];
    };
    expect(listed.items.map((t) => t.id)).toEqual([task.id]);

    // Another tenant can neither start a task on this account nor see the task.
    const stranger = apiClient(stack.gatewayUrl, await stack.bearer('tenant-task-stranger'));
    expect((await stranger.post('/api/v1/tasks', { accountId: account.id, url: files.url('source.mp4') })).status).toBe(
      404,
    );
    expect(((await (await stranger.call('/api/v1/tasks')).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await stranger.call(`/api/v1/tasks/${task.id}`)).status).toBe(404);
  });

  it('captions registered with a source reach its clips (HTTP → orchestrator → job → repurposer)', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-captions', []);
    const registered = await api.post(`/api/v1/accounts/${account.id}/sources`, {
      url: files.url('source.mp4'),
      captionsUrl: files.url('captions.vtt'),
    });
    expect(registered.status).toBe(201);
    expect(((await registered.json()) as { captionsUrl: string }).captionsUrl).toBe(files.url('captions.vtt'));
    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'captioned', options: { width: 360, preset: 'ultrafast' } })
    ).json()) as StartedGeneration;
    await ws.waitFor(
      'generation completed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === generation.id &&
        (m.status as { status: string }).status === 'completed',
    );
    ws.close();
    const listed = (await (await api.call(`/api/v1/content?account_id=${account.id}`)).json()) as {
      items: { captioned: boolean }[];
    };
    expect(listed.items.map((c) => c.captioned)).toEqual([true]);
    // Captions come over http(s) only (private addresses: source-url-policy.test.ts).
    expect(
      (
        await api.post(`/api/v1/accounts/${account.id}/sources`, {
          url: files.url('source.mp4'),
          captionsUrl: 'ftp://example.com/c.srt',
        })
      ).status,
    ).toBe(400);
  });

  it('lists the fonts the render workers can draw (from fontconfig) and the transitions', async () => {
    const { api } = await newTenant(stack, 'tenant-catalogue', []);
    const fonts = (await (await api.call('/api/v1/fonts')).json()) as {
      defaultFamily: string;
      items: { family: string; styles: string[] }[];
    };
    const dejavu = fonts.items.find((f) => f.family === fonts.defaultFamily);
    expect(dejavu, JSON.stringify(fonts)).toBeDefined();
    expect(dejavu!.styles).toContain('Bold');
    const transitions = (await (await api.call('/api/v1/transitions')).json()) as { default: string; items: string[] };
    expect(transitions.items).toContain(transitions.default);
    expect(transitions.items).toEqual(expect.arrayContaining(['fade', 'wipeleft', 'slideup', 'dissolve']));
    expect((await fetch(`${stack.gatewayUrl}/api/v1/fonts`)).status).toBe(401);
  });

  it('fails a corrupt source at once with a readable reason, dead-letters the job and retires the source', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-corrupt', [files.url('corrupt.mp4')]);
    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts' })
    ).json()) as StartedGeneration;
    const taskId = generation.taskIds[0]!;

    const taskFailed = await ws.waitFor(
      'task failed',
      (m) => m.type === 'job_status' && m.job_id === taskId && (m.status as { status: string }).status === 'failed',
    );
    expect((taskFailed.status as { error: { code: string; message: string; retryable: boolean } }).error).toMatchObject(
      { code: 'INVALID_INPUT', retryable: false },
    );
    // Random bytes now and then probe as an MP3 stream: then the container allow-list refuses it by name.
    expect((taskFailed.status as { error: { message: string } }).error.message).toMatch(
      /not a readable video|container, which is not accepted/,
    );
    await ws.waitFor(
      'generation failed',
      (m) =>
        m.type === 'job_status' && m.job_id === generation.id && (m.status as { status: string }).status === 'failed',
    );
    ws.close();

    // Not retried: one attempt only.
    const attempts = await stack.sql('repurposer', 'select attempt from $schema.task_attempts where task_id = ?', [
      taskId,
    ]);
    expect(attempts).toHaveLength(1);
    const [source] = await stack.sql<{ state: string }>(
      'orchestrator',
      'select state from $schema.source_videos where account_id = ?',
      [account.id],
    );
    expect(source?.state).toBe('failed');
    // The job is in the dead-letter stream with its error, and gone from the work queue.
    const m = stack.gateway.platform.messaging;
    const dlq = await m.jsm.streams.getMessage(m.stream('DLQ'), {
      last_by_subj: m.subject(`dlq.${m.stream('RENDER_JOBS')}.${m.ns.streamPrefix}repurposer-render`),
    });
    const letter = dlq?.json<{ reason: string; error: { code: string }; payload: string }>();
    expect(letter).toMatchObject({ reason: 'permanent', error: { code: 'INVALID_INPUT' } });
    expect(JSON.parse(letter!.payload).data.taskId).toBe(taskId);
    const work = await m.jsm.streams.info(m.stream('RENDER_JOBS'));
    expect(work.state.messages).toBe(0);
  });
});
