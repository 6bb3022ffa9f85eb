import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { serveFiles, writeArticleSite } from '@reelforge/testing';
import { startStack, type Stack } from '../support/stack.ts';
import { openWs, type WsMessage } from '../support/ws-client.ts';

// ReelCraft's documented job API ("Background Job System Documentation"), served by the gateway
// with COMPAT_SURFACES=reelcraft. Each test names the section of that document it checks. The
// test calls from loopback without credentials, as ReelCraft's own clients did: with
// COMPAT_LOOPBACK the deployment's COMPAT_PRINCIPAL is who they are.
const COMPAT_USER = 'reelcraft-compat-user';

interface Job {
  id: string;
  status: string;
  progress: number;
  progress_message: string | null;
  error_message: string | null;
  video_id: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

describe('ReelCraft compatibility surface', () => {
  let stack: Stack;
  let site: Awaited<ReturnType<typeof serveFiles>>;
  const call = (path: string, init: RequestInit = {}) => fetch(`${stack.gatewayUrl}${path}`, init);
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(path, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const json = async <T>(res: Response, status = 200): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };

  beforeAll(async () => {
    stack = await startStack({
      env: { COMPAT_SURFACES: 'reelcraft', COMPAT_PRINCIPAL: COMPAT_USER, COMPAT_LOOPBACK: 'true' },
    });
    site = await serveFiles(await writeArticleSite(inject('ffmpegPath'), mkdtempSync(join(tmpdir(), 'rc-site-'))));
  });
  afterAll(async () => {
    await site?.close();
    await stack?.stop();
  });

  it('"POST /api/generate-video" answers {job_id, status: "pending", message}; "POST /api/jobs/{job_id}/cancel" cancels it', async () => {
    const created = await json<{ job_id: string; status: string; message: string }>(
      await post('/api/generate-video', { url: site.url('article.html') }),
    );
    expect(created).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'pending',
      message: 'Video generation job created. Use job_id to track progress.',
    });
    // "GET /api/jobs/{job_id}": every documented field, in its vocabulary.
    const job = await json<Job>(await call(`/api/jobs/${created.job_id}`));
    expect(Object.keys(job).sort()).toEqual(
      [
        'completed_at',
        'created_at',
        'error_message',
        'id',
        'progress',
        'progress_message',
        'started_at',
        'status',
        'video_id',
      ].sort(),
    );
    expect(job).toMatchObject({ id: created.job_id, video_id: null, error_message: null, completed_at: null });
    expect(['pending', 'processing']).toContain(job.status);

    const cancelled = await json<{ status: string; message: string }>(await post(`/api/jobs/${created.job_id}/cancel`));
    expect(cancelled).toEqual({ status: 'cancelled', message: `Job ${created.job_id} cancelled` });
    // The job is an article task of the caller's first account, created for it ("ReelCraft").
    const [account] = await stack.sql<{ name: string; owner_id: string }>(
      'orchestrator',
      'select a.name, a.owner_id from $schema.accounts a where a.owner_id = ?',
      [COMPAT_USER],
    );
    expect(account).toMatchObject({ name: 'ReelCraft' });
  });

  it('a job to the end: WebSocket "subscribe" → "subscribed", "job_progress" to 100, "job_status" completed with video_id; jobs and videos list it; the file streams with Range', async () => {
    const created = await json<{ job_id: string }>(
      await post('/api/generate-video', {
        url: site.url('article.html'),
        // v1's article options, accepted beside the documented body: a short, small video for the test.
        targetSeconds: 15,
        width: 360,
        preset: 'ultrafast',
      }),
    );
    const id = created.job_id;
    // "WebSocket Protocol": connect to /ws, the connection confirmation, subscribe by job id.
    const ws = await openWs(stack.gatewayUrl, undefined, '', { path: '/ws' });
    const hello = await ws.waitFor('connection', (m) => m.type === 'connection');
    expect(hello.message).toBe('Connected to ReelCraft API');
    ws.send({ subscribe: id });
    const subscribed = await ws.waitFor('subscribed', (m) => m.type === 'subscribed');
    expect(subscribed).toMatchObject({ job_id: id, message: `Subscribed to job ${id}` });
    const done = await ws.waitFor(
      'job_status completed',
      (m) => m.type === 'job_status' && (m.status as { status: string }).status === 'completed',
      180_000,
    );
    const status = done.status as { id: string; status: string; progress: number; video_id: string | null };
    expect(status).toMatchObject({ id, status: 'completed', progress: 100 });
    expect(status.video_id).toMatch(/^[0-9a-f-]{36}$/);
    const progress = ws.messages.filter(
      (m): m is WsMessage & { progress: number; message: string } => m.type === 'job_progress',
    );
    expect(progress.length).toBeGreaterThan(3);
    for (const m of progress)
      expect(m).toMatchObject({ job_id: id, progress: expect.any(Number), message: expect.any(String) });
    expect(progress.map((m) => m.progress)).toContain(100);
    // "Progress Stages": its milestones and their texts. The socket subscribes after the job exists, as
    // ReelCraft's client does, so the earliest milestones (5 %, extracting) may pass before it: the
    // later ones are checked here, the whole table by article-video.test.ts on v1's socket.
    expect(progress.some((m) => m.progress === 85 && /editing video with ffmpeg/i.test(m.message))).toBe(true);
    expect(progress.some((m) => m.progress === 95 && /finalizing video/i.test(m.message))).toBe(true);
    // Only its own message types: no generation messages, no errors.
    expect(new Set(ws.messages.map((m) => m.type))).toEqual(
      new Set(['connection', 'subscribed', 'job_status', 'job_progress']),
    );
    ws.close();

    // "GET /api/jobs/{job_id}" once done.
    const job = await json<Job>(await call(`/api/jobs/${id}`));
    expect(job).toMatchObject({ status: 'completed', progress: 100, video_id: status.video_id, error_message: null });
    expect(job.completed_at).not.toBeNull();
    // "GET /api/jobs": status filter, limit, offset; {jobs, count}.
    const completed = await json<{ jobs: Job[]; count: number }>(await call('/api/jobs?status=completed'));
    expect(completed.jobs.map((j) => j.id)).toEqual([id]);
    expect(completed.count).toBe(1);
    const all = await json<{ jobs: Job[]; count: number }>(await call('/api/jobs?limit=50&offset=0'));
    expect(all.jobs.map((j) => j.status).sort()).toEqual(['cancelled', 'completed']);
    const second = await json<{ jobs: Job[] }>(await call('/api/jobs?limit=1&offset=1'));
    expect(second.jobs).toHaveLength(1);
    expect(second.jobs[0]!.id).toBe(all.jobs[1]!.id); // newest first, as listed
    expect((await call('/api/jobs?status=pending')).status).toBe(200);
    expect((await call('/api/jobs?status=exploded')).status).toBe(400);

    // "GET /api/videos": {videos, count} with its fields.
    const videos = await json<{ videos: Record<string, unknown>[]; count: number }>(await call('/api/videos'));
    expect(videos.count).toBe(1);
    expect(videos.videos[0]).toMatchObject({
      id: status.video_id,
      title: 'Library roof now powers itself',
      source_url: site.url('article.html'),
      file_path: expect.stringMatching(/^\/api\/v1\/media\/[\w-]+\.[\w-]+$/),
      duration: expect.any(Number),
      size_mb: expect.any(Number),
      created_at: expect.any(String),
    });
    // "GET /api/videos/{video_name}": the file, with Range.
    const part = await call(`/api/videos/${status.video_id!}`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    expect((await call(`/api/videos/${status.video_id!}/file`)).status).toBe(200);
    // file_path plays with no credentials at all (a <video> on another origin sends none).
    const viaPath = await fetch(`${stack.gatewayUrl}${videos.videos[0]!.file_path as string}`, {
      headers: { range: 'bytes=0-99', origin: 'https://elsewhere.example' },
    });
    expect(viaPath.status).toBe(206);
    // DELETE, then it is gone.
    expect((await call(`/api/videos/${status.video_id!}`, { method: 'DELETE' })).status).toBe(200);
    expect((await call(`/api/videos/${status.video_id!}`)).status).toBe(404);
  }, 240_000);

  it('identity: a credential-less call from another origin is refused; a bearer caller is themself and sees none of it', async () => {
    const { jobs } = await json<{ jobs: Job[] }>(await call('/api/jobs'));
    const jobId = jobs[0]!.id;
    const evil = { origin: 'https://evil.example' };
    for (const res of [
      await call('/api/jobs', { headers: evil }),
      await post('/api/generate-video', { url: site.url('article.html') }, evil),
    ])
      expect(res.status).toBe(401);
    await expect(openWs(stack.gatewayUrl, undefined, '', { path: '/ws', headers: evil })).rejects.toThrow(/401/);

    const stranger = await stack.bearer('reelcraft-stranger');
    const auth = { authorization: `Bearer ${stranger}` };
    expect(await json<{ jobs: Job[] }>(await call('/api/jobs', { headers: auth }))).toEqual({ jobs: [], count: 0 });
    expect((await call(`/api/jobs/${jobId}`, { headers: auth })).status).toBe(404);
    expect((await post(`/api/jobs/${jobId}/cancel`, undefined, auth)).status).toBe(404);
    // A subscription to another's job is refused before anything about it is sent.
    const ws = await openWs(stack.gatewayUrl, stranger, '', { path: '/ws' });
    ws.send({ subscribe: jobId });
    const refused = await ws.waitFor('refusal', (m) => m.type === 'error');
    expect(refused).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(
      ws.messages.filter((m) => m.type === 'job_status' || m.type === 'job_progress' || m.type === 'subscribed'),
    ).toEqual([]);
    ws.close();
    // A bad credential is not downgraded to the compat principal.
    expect((await call('/api/jobs', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});
