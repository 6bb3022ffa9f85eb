import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { openSse, type SseItem } from '../support/sse-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

// SupoClip's task API ("Backend Refactoring Guide", "Testing the Refactored System" and "API
// Changes"), served by the gateway with COMPAT_SURFACES=supoclip over the real services. Each test
// names the section it checks.
describe('SupoClip compatibility surface', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let user: Awaited<ReturnType<typeof newTenant>>;
  let taskId: string;

  beforeAll(async () => {
    stack = await startStack({ env: { COMPAT_SURFACES: 'supoclip' } });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'talk.mp4'), { seconds: 3 });
    files = await serveFiles({ 'talk.mp4': video });
    user = await newTenant(stack, 'supoclip-user', []);
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  const call = (path: string, init: RequestInit = {}, bearer = user.bearer) =>
    fetch(`${stack.gatewayUrl}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}`, ...init.headers } });

  it('"1. Check Health Endpoints": /health, /health/db and /health/redis (the broker answers), without credentials', async () => {
    expect(await (await fetch(`${stack.gatewayUrl}/health`)).json()).toEqual({ status: 'healthy' });
    expect(await (await fetch(`${stack.gatewayUrl}/health/db`)).json()).toEqual({
      status: 'healthy',
      database: 'connected',
    });
    expect(await (await fetch(`${stack.gatewayUrl}/health/redis`)).json()).toEqual({
      status: 'healthy',
      redis: 'connected',
    });
  });

  it('"2. Create a Task" answers {task_id, job_id, message}; "3. Watch Real-time Progress (SSE)": status first, progress events, close at the end', async () => {
    const res = await call('/tasks/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', user_id: 'ignored-header' },
      body: JSON.stringify({
        source: { url: files.url('talk.mp4') },
        font_options: { font_family: 'TikTokSans-Regular', font_size: 24, font_color: '#FFFFFF' },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const created = (await res.json()) as { task_id: string; job_id: string; message: string };
    expect(created).toEqual({
      task_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      job_id: created.task_id,
      message: 'Task created and queued for processing',
    });
    taskId = created.task_id;

    const sse = await openSse(stack.gatewayUrl, `/tasks/${taskId}/progress`, user.bearer);
    const events: Extract<SseItem, { kind: 'event' }>[] = [];
    for (let item = await sse.next(); item; item = await sse.next()) if (item.kind === 'event') events.push(item);
    expect(events[0]!.event).toBe('status');
    expect(events[0]!.data).toMatchObject({ task_id: taskId, status: expect.stringMatching(/^(queued|processing)$/) });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThan(2);
    for (const e of progress)
      expect(e.data).toEqual({
        task_id: taskId,
        status: 'processing',
        progress: expect.any(Number),
        message: expect.any(String),
      });
    expect(events.at(-1)).toMatchObject({ event: 'close', data: { status: 'completed' } });
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(['status', 'progress', 'close']));
    // Its font size and colour reached the render; a family the workers cannot draw fell back to the default.
    const [task] = await stack.sql<{ options: { captions?: { font?: Record<string, unknown> } } }>(
      'repurposer',
      'select options from $schema.tasks where id = ?',
      [taskId],
    );
    expect(task!.options.captions?.font).toEqual({ size: 24, color: '#FFFFFF' });
  }, 120_000);

  it('"4. Get Task Details" and "5. Get Clips": its statuses, its clips with a playable file_path', async () => {
    const details = (await (await call(`/tasks/${taskId}`)).json()) as Record<string, unknown>;
    expect(details).toMatchObject({ id: taskId, status: 'completed', stage: 'completed', progress: 100, error: null });
    const clips = (await (await call(`/tasks/${taskId}/clips`)).json()) as {
      task_id: string;
      clips: Record<string, unknown>[];
      total_clips: number;
    };
    expect(clips.task_id).toBe(taskId);
    expect(clips.total_clips).toBe(clips.clips.length);
    expect(clips.total_clips).toBeGreaterThan(0);
    expect(clips.clips[0]).toMatchObject({
      clip_order: 1,
      start_time: expect.any(Number),
      end_time: expect.any(Number),
      duration: expect.any(Number),
      reasoning: expect.any(String),
      file_path: expect.stringMatching(/^\/api\/v1\/media\//),
    });
    const file = await fetch(`${stack.gatewayUrl}${clips.clips[0]!.file_path as string}`, {
      headers: { range: 'bytes=0-9' },
    });
    expect(file.status).toBe(206);
  });

  it('"Unchanged Endpoints": POST /upload takes a video; its video_path starts a task; a stranger cannot use it', async () => {
    const form = new FormData();
    form.append('video', new Blob([new Uint8Array(readFileSync(join(stack.mediaRoot, 'talk.mp4')))]), 'talk.mp4');
    const res = await call('/upload', { method: 'POST', body: form });
    expect(res.status, await res.clone().text()).toBe(200);
    const uploaded = (await res.json()) as { message: string; video_path: string; upload_id: string };
    expect(uploaded).toEqual({
      message: 'Video uploaded successfully',
      video_path: `upload:${uploaded.upload_id}`,
      upload_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const start = (bearer: string) =>
      call(
        '/tasks/',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ source: { url: uploaded.video_path } }),
        },
        bearer,
      );
    const stranger = await stack.bearer('supoclip-upload-stranger');
    expect((await start(stranger)).status).toBe(404);
    const created = await start(user.bearer);
    expect(created.status, await created.clone().text()).toBe(200);
    const { task_id } = (await created.json()) as { task_id: string };
    const sse = await openSse(stack.gatewayUrl, `/tasks/${task_id}/progress`, user.bearer);
    let last: SseItem | null = null;
    for (let item = await sse.next(); item; item = await sse.next()) last = item;
    expect(last).toMatchObject({ event: 'close', data: { status: 'completed' } });
    // An image is not a SupoClip video.
    const png = new FormData();
    png.append('file', new Blob([new Uint8Array(Buffer.from('89504e470d0a1a0a', 'hex'))]), 'x.png');
    expect((await call('/upload', { method: 'POST', body: png })).status).toBeGreaterThanOrEqual(400);
  }, 120_000);

  it('"Unchanged Endpoints": /fonts and /transitions', async () => {
    const fonts = (await (await call('/fonts')).json()) as { items: { family: string }[] };
    expect(fonts.items.length).toBeGreaterThan(0);
    expect(((await (await call('/transitions')).json()) as { items: string[] }).items).toContain('fade');
  });

  it('another tenant sees nothing of it: details, clips and progress are 404; no credentials is 401', async () => {
    const stranger = await stack.bearer('supoclip-stranger');
    for (const path of [`/tasks/${taskId}`, `/tasks/${taskId}/clips`, `/tasks/${taskId}/progress`])
      expect((await call(path, {}, stranger)).status, path).toBe(404);
    expect((await fetch(`${stack.gatewayUrl}/tasks/${taskId}`)).status).toBe(401);
  });
});
