import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { IMAGE_COLOURS, articlePage, probeSummary, serveFiles, writeArticleSite } from '@reelforge/testing';
import type { ContentView, TaskView } from '@reelforge/contracts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const run = promisify(execFile);
const ARTICLE_STAGES = ['extracting', 'scripting', 'voicing', 'fetching_assets', 'composing', 'finalizing'];

/** Frames of a video at `fps`, scaled to w×h, as raw RGB. */
async function frames(file: string, fps: number, w: number, h: number): Promise<Buffer[]> {
  const { stdout } = await run(
    inject('ffmpegPath'),
    ['-v', 'error', '-i', file, '-vf', `fps=${fps},scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const size = w * h * 3;
  return Array.from({ length: Math.floor(stdout.length / size) }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}
const pixel = (f: Buffer, w: number, x: number, y: number) => [
  f[(y * w + x) * 3]!,
  f[(y * w + x) * 3 + 1]!,
  f[(y * w + x) * 3 + 2]!,
];
const near = (a: number[], b: readonly number[], tolerance = 40) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

/** Mean volume of a file's audio in dB (ffmpeg volumedetect). */
async function meanVolume(file: string): Promise<number> {
  const { stderr } = await run(inject('ffmpegPath'), [
    '-v',
    'info',
    '-nostats',
    '-i',
    file,
    '-vn',
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  return Number(/mean_volume: (-?[\d.]+) dB/.exec(stderr)?.[1] ?? '-100');
}

// Article → narrated vertical video through the public API, against a local site the test writes.
describe('article videos', () => {
  let stack: Stack;
  let site: Awaited<ReturnType<typeof serveFiles>>;
  let tenant: Awaited<ReturnType<typeof newTenant>>;
  const dir = mkdtempSync(join(tmpdir(), 'reelforge-article-'));

  beforeAll(async () => {
    stack = await startStack();
    const files = await writeArticleSite(inject('ffmpegPath'), dir);
    // The same article whose images point at a private address on another host: left out, said so.
    writeFileSync(
      join(dir, 'private.html'),
      articlePage(['http://10.255.255.1/a.png', 'http://169.254.169.254/b.png', 'http://10.255.255.1/c.png']),
    );
    // One second of a 1 kHz tone: looped under the narration when asked for as music.
    await run(inject('ffmpegPath'), [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=1000:duration=1:sample_rate=44100',
      join(dir, 'music.wav'),
    ]);
    site = await serveFiles({
      ...files,
      'private.html': join(dir, 'private.html'),
      'music.wav': join(dir, 'music.wav'),
    });
    tenant = await newTenant(stack, 'article-owner', []);
  });
  afterAll(async () => {
    await site?.close();
    await stack?.stop();
  });

  it('makes a 1080×1920 narrated video with captions and every image, reporting the stages in order over WebSocket', async () => {
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const res = await tenant.api.post(`/api/v1/accounts/${tenant.account.id}/articles`, {
      url: site.url('article.html'),
      targetSeconds: 40,
      preset: 'ultrafast',
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const created = (await res.json()) as TaskView;
    expect(created).toMatchObject({ kind: 'article', status: 'queued' });

    await ws.waitFor(
      'the task completed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === created.id &&
        (m.status as { status?: string } | undefined)?.status === 'completed',
      240_000,
    );
    const progress = ws.messages.filter(
      (m): m is WsMessage & { stage: string; progress: number; message: string } =>
        m.type === 'job_progress' && m.job_id === created.id,
    );
    const stages = progress.map((m) => m.stage).filter((s, i, all) => s !== all[i - 1] && s !== 'completed');
    expect(stages).toEqual(ARTICLE_STAGES);
    const percents = progress.map((m) => m.progress);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    for (const [percent, text] of [
      [5, 'extracting article content'],
      [25, 'script generated with'],
      [50, 'audio generation completed'],
      [75, 'assets downloaded: 3 of 3'],
      [85, 'editing video with ffmpeg'],
      [95, 'finalizing video'],
      [100, 'video created'],
    ] as const) {
      expect(
        progress.some((m) => m.progress === percent && m.message.includes(text)),
        `${percent}% ${text}: ${JSON.stringify(progress.map((m) => [m.progress, m.message]))}`,
      ).toBe(true);
    }
    ws.close();

    const task = (await (await tenant.api.call(`/api/v1/tasks/${created.id}`)).json()) as TaskView;
    expect(task).toMatchObject({
      kind: 'article',
      status: 'completed',
      script: { title: 'Library roof now powers itself', source: 'extractive' },
    });
    expect(task.script!.scenes.length).toBeGreaterThanOrEqual(3);
    const page = (await (await tenant.api.call(`/api/v1/content?task_id=${created.id}`)).json()) as {
      items: ContentView[];
    };
    expect(page.items).toHaveLength(1);
    const video = page.items[0]!;
    expect(video).toMatchObject({
      kind: 'article',
      sourceUrl: site.url('article.html'),
      title: 'Library roof now powers itself',
      width: 1080,
      height: 1920,
      captioned: true,
      hasThumbnail: true,
    });
    expect(video.script).toEqual(task.script);
    expect(video.durationSeconds).toBeGreaterThanOrEqual(30);
    expect(video.durationSeconds).toBeLessThanOrEqual(60);

    const file = join(dir, 'video.mp4');
    const download = await tenant.api.call(`/api/v1/content/${video.id}/file`);
    expect(download.status).toBe(200);
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    const probed = await probeSummary(inject('ffprobePath'), file);
    expect(probed).toMatchObject({ width: 1080, height: 1920, hasVideo: true, hasAudio: true });
    expect(await meanVolume(file)).toBeGreaterThan(-35); // speech, not silence

    const W = 108;
    const H = 192;
    const shots = await frames(file, 2, W, H);
    // Every image is on screen at some point: the middle of the frame shows its flat colour.
    for (const [name, rgb] of Object.entries(IMAGE_COLOURS)) {
      expect(
        shots.some((f) => near(pixel(f, W, W / 2, Math.round(H * 0.45)), rgb)),
        `${name} image on screen`,
      ).toBe(true);
    }
    // Captions change with the narration: the caption band differs between frames of one image's scene.
    const band = (f: Buffer) => f.subarray(Math.round(H * 0.62) * W * 3, Math.round(H * 0.85) * W * 3);
    const highlighted = shots.filter((f) => {
      const b = band(f);
      for (let i = 0; i < b.length; i += 3) if (near([b[i]!, b[i + 1]!, b[i + 2]!], [255, 224, 0], 60)) return true;
      return false;
    });
    expect(highlighted.length).toBeGreaterThan(shots.length / 3); // the highlighted word is visible most of the time
    expect(new Set(highlighted.map((f) => band(f).toString('base64'))).size).toBeGreaterThan(highlighted.length / 2);

    const thumb = await tenant.api.call(`/api/v1/content/${video.id}/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect(existsSync(join(stack.mediaRoot, '.tmp', created.id))).toBe(false);
  }, 300_000);

  it('fails a page without an article at once, permanently, with the reason', async () => {
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const res = await tenant.api.post(`/api/v1/accounts/${tenant.account.id}/articles`, {
      url: site.url('login.html'),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as TaskView;
    const failed = await ws.waitFor(
      'the task failed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === id &&
        (m.status as { status?: string } | undefined)?.status === 'failed',
      60_000,
    );
    ws.close();
    expect(JSON.stringify(failed)).toContain('no readable article');
    const task = (await (await tenant.api.call(`/api/v1/tasks/${id}`)).json()) as TaskView;
    expect(task).toMatchObject({ status: 'failed', error: { code: 'INVALID_INPUT' }, attempts: [expect.anything()] });
  }, 120_000);

  it('renders an article whose images point at private addresses without them, and says so', async () => {
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const res = await tenant.api.post(`/api/v1/accounts/${tenant.account.id}/articles`, {
      url: site.url('private.html'),
      targetSeconds: 15,
      width: 360,
      preset: 'ultrafast',
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as TaskView;
    await ws.waitFor(
      'the task completed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === id &&
        (m.status as { status?: string } | undefined)?.status === 'completed',
      120_000,
    );
    const assets = ws.messages.find((m) => m.type === 'job_progress' && m.job_id === id && m.progress === 75) as
      (WsMessage & { message: string }) | undefined;
    ws.close();
    expect(assets?.message).toContain('0 of');
    expect(assets?.message).toContain('private or loopback');
    const [video] = (
      (await (await tenant.api.call(`/api/v1/content?task_id=${id}`)).json()) as { items: ContentView[] }
    ).items;
    expect(video!.reason).toContain('left out http://10.255.255.1/a.png');
  }, 180_000);

  it('mixes the music asked for under the narration', async () => {
    /** Makes a short video of the article, with or without the music, and returns its file. */
    const make = async (extra: Record<string, unknown>, name: string) => {
      const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
      const res = await tenant.api.post(`/api/v1/accounts/${tenant.account.id}/articles`, {
        url: site.url('private.html'),
        targetSeconds: 15,
        width: 360,
        preset: 'ultrafast',
        ...extra,
      });
      expect(res.status, await res.clone().text()).toBe(202);
      const { id } = (await res.json()) as TaskView;
      await ws.waitFor(
        'the task completed',
        (m) =>
          m.type === 'job_status' &&
          m.job_id === id &&
          (m.status as { status?: string } | undefined)?.status === 'completed',
        120_000,
      );
      ws.close();
      const [video] = (
        (await (await tenant.api.call(`/api/v1/content?task_id=${id}`)).json()) as { items: ContentView[] }
      ).items;
      const file = join(dir, name);
      writeFileSync(
        file,
        Buffer.from(await (await tenant.api.call(`/api/v1/content/${video!.id}/file`)).arrayBuffer()),
      );
      return file;
    };
    /** Mean level of the music's own pitch (a 1 kHz tone) in a file. */
    const toneLevel = async (file: string) => {
      const { stderr } = await run(inject('ffmpegPath'), [
        '-v',
        'info',
        '-nostats',
        '-i',
        file,
        '-vn',
        '-af',
        'bandpass=f=1000:width_type=q:w=40,volumedetect',
        '-f',
        'null',
        '-',
      ]);
      return Number(/mean_volume: (-?[\d.]+) dB/.exec(stderr)?.[1] ?? '-100');
    };
    const plain = await make({}, 'plain.mp4');
    const withMusic = await make({ musicUrl: site.url('music.wav'), musicVolume: 0.5 }, 'music.mp4');
    expect(await toneLevel(withMusic)).toBeGreaterThan((await toneLevel(plain)) + 10);
    // Not audio at all: refused with the reason, permanently.
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const bad = await tenant.api.post(`/api/v1/accounts/${tenant.account.id}/articles`, {
      url: site.url('private.html'),
      targetSeconds: 15,
      width: 360,
      musicUrl: site.url('article.html'),
    });
    const { id } = (await bad.json()) as TaskView;
    const failed = await ws.waitFor(
      'the task failed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === id &&
        (m.status as { status?: string } | undefined)?.status === 'failed',
      60_000,
    );
    ws.close();
    expect(JSON.stringify(failed)).toContain('the music cannot be used');
  }, 180_000);

  it("an article generation narrates the account's article sources, and never takes its videos", async () => {
    const { api, account } = await newTenant(stack, 'article-generation', []);
    const video = await api.post(`/api/v1/accounts/${account.id}/sources`, { url: site.url('red.png') });
    expect(video.status).toBe(201);
    expect(await video.json()).toMatchObject({ kind: 'video' });
    // No article source yet: the video is not taken for an article.
    const none = await api.startGeneration(account.id, { type: 'article', count: 1 });
    expect(none.status).toBe(422);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain('article sources');
    const source = await api.post(`/api/v1/accounts/${account.id}/sources`, {
      url: site.url('article.html'),
      kind: 'article',
    });
    expect(source.status).toBe(201);
    expect(await source.json()).toMatchObject({ kind: 'article', state: 'available' });
    expect(
      (
        await api.post(`/api/v1/accounts/${account.id}/sources`, {
          url: site.url('article.html'),
          kind: 'article',
          captionsUrl: site.url('x.srt'),
        })
      ).status,
    ).toBe(400);

    const ws = await watchAccount(stack, await stack.bearer('article-generation'), account.id);
    const start = await api.startGeneration(account.id, {
      type: 'article',
      count: 2,
      options: { width: 360, preset: 'ultrafast' },
      article: { targetSeconds: 15 },
    });
    expect(start.status).toBe(202);
    const started = (await start.json()) as { generation: { id: string; taskIds: string[] }; shortBy: number };
    expect(started.shortBy).toBe(1); // one article source for two asked
    const done = await ws.waitFor(
      'the generation completed',
      (m) =>
        m.type === 'job_status' &&
        m.kind === 'generation' &&
        m.job_id === started.generation.id &&
        (m.status as { status?: string }).status === 'completed',
      120_000,
    );
    ws.close();
    expect((done.status as { counters: { completed: number } }).counters.completed).toBe(1);
    const [made] = (
      (await (await api.call(`/api/v1/content?task_id=${started.generation.taskIds[0]}`)).json()) as {
        items: ContentView[];
      }
    ).items;
    expect(made).toMatchObject({ kind: 'article', sourceUrl: site.url('article.html'), width: 360 });
    expect(made!.durationSeconds).toBeLessThan(30);
    const sources = (await (await api.call(`/api/v1/accounts/${account.id}/sources`)).json()) as {
      items: { kind: string; state: string }[];
    };
    expect(sources.items.find((s) => s.kind === 'video')?.state).toBe('available');
  }, 180_000);

  it('refuses bad requests with a reason before any work', async () => {
    const post = (body: unknown, account = tenant.account.id) =>
      tenant.api.post(`/api/v1/accounts/${account}/articles`, body);
    expect((await post({ url: 'ftp://example.com/a' })).status).toBe(400);
    expect((await post({ url: site.url('article.html'), targetSeconds: 5 })).status).toBe(400);
    expect((await post({ url: site.url('article.html'), voice: '-w /etc/passwd' })).status).toBe(400);
    expect((await post({ url: site.url('article.html'), surprise: true })).status).toBe(400);
    const other = await newTenant(stack, 'article-stranger', []);
    expect((await post({ url: site.url('article.html') }, other.account.id)).status).toBe(404);
  });
});
