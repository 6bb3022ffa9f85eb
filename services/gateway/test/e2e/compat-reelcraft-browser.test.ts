import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTool } from '@reelforge/local-infra';
import { serveFiles, writeArticleSite } from '@reelforge/testing';
import { startStack, type Stack } from '../support/stack.ts';
import { playedPast } from '../support/video-playback.ts';

// A minimal frontend written the way ReelCraft's document tells one to ("Frontend Integration",
// "JavaScript Client"): no credentials, POST /api/generate-video, subscribe over /ws, a progress
// bar from job_progress, the video played once job_status says completed. It is served from its
// own origin, which the deployment trusts (COMPAT_ORIGINS + CORS_ORIGINS), in headless Chromium.
declare const document: any;

const SHOTS = join(import.meta.dirname, '..', '..', '..', '..', 'test-output', 'compat');

const page = (api: string, article: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>ReelCraft</title></head>
<body>
<progress id="bar" max="100" value="0"></progress> <span id="log"></span>
<video id="video" controls playsinline></video>
<script>
const api = ${JSON.stringify(api)};
async function run() {
  const response = await fetch(api + '/api/generate-video', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ url: ${JSON.stringify(article)}, targetSeconds: 15, width: 360, preset: 'ultrafast' }),
  });
  const { job_id } = await response.json();
  document.body.dataset.job = job_id;
  const ws = new WebSocket(api.replace(/^http/, 'ws') + '/ws');
  ws.onopen = () => ws.send(JSON.stringify({ subscribe: job_id }));
  ws.onmessage = async (event) => {
    const data = JSON.parse(event.data);
    if (data.type === 'job_progress') {
      document.getElementById('bar').value = data.progress;
      document.getElementById('log').textContent = data.progress + '% - ' + data.message;
    }
    if (data.type === 'job_status' && data.status.status === 'completed') {
      const videos = await (await fetch(api + '/api/videos')).json();
      const video = videos.videos.find((v) => v.id === data.status.video_id);
      const el = document.getElementById('video');
      el.muted = true;
      el.src = api + video.file_path;
      await el.play();
      document.body.dataset.playing = 'yes';
    }
  };
}
run().catch((err) => (document.body.dataset.error = String(err)));
</script>
</body></html>`;

describe('a ReelCraft frontend in a real browser', () => {
  let stack: Stack;
  let site: Awaited<ReturnType<typeof serveFiles>>;
  let frontend: Server;
  let html = '';
  let browser: Browser;

  beforeAll(async () => {
    const chromiumPath = ensureTool({ command: 'chromium', aptPackage: 'chromium' }, (line) => console.log(line));
    mkdirSync(SHOTS, { recursive: true });
    frontend = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
    );
    await new Promise<void>((resolve) => frontend.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;
    // The frontend's origin is trusted; a credential-less call from anywhere else is not (loopback off).
    stack = await startStack({
      env: {
        COMPAT_SURFACES: 'reelcraft',
        COMPAT_PRINCIPAL: 'reelcraft-browser-user',
        COMPAT_ORIGINS: origin,
        CORS_ORIGINS: origin,
      },
    });
    site = await serveFiles(await writeArticleSite(inject('ffmpegPath'), mkdtempSync(join(tmpdir(), 'rc-page-'))));
    html = page(stack.gatewayUrl, site.url('article.html'));
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await new Promise((resolve) => frontend?.close(resolve));
    await stack?.stop();
  });

  it('generates from a local article, fills the bar to 100 % from the socket, and plays the video', async () => {
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on('pageerror', (err) => problems.push(err.message));
    tab.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
    });
    tab.on('requestfailed', (req) => problems.push(`failed ${req.url()} ${req.failure()?.errorText ?? ''}`));
    await tab.goto(`http://127.0.0.1:${(frontend.address() as AddressInfo).port}/`);
    await tab.waitForFunction(() => document.body.dataset.job || document.body.dataset.error);
    expect(await tab.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
    await tab
      .waitForFunction(() => document.body.dataset.playing === 'yes' || document.body.dataset.error, null, {
        timeout: 180_000,
      })
      .catch(async (err: unknown) => {
        // Say what the page got to before giving up.
        throw new Error(
          `${String(err)}; page: ${await tab.evaluate(() => document.getElementById('log').textContent as string)}; problems: ${problems.join(', ')}`,
        );
      });
    expect(await tab.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
    expect(await tab.evaluate(() => document.getElementById('bar').value as number)).toBe(100);
    const played = await playedPast(tab, '#video', 0.3);
    expect(played).toBeGreaterThan(0.3);
    await tab.screenshot({ path: join(SHOTS, 'reelcraft-frontend.png'), fullPage: true });
    expect(problems).toEqual([]);
    // The job is the compat principal's, made in its (new) ReelCraft account.
    const [row] = await stack.sql<{ owner_id: string }>(
      'repurposer',
      'select owner_id from $schema.tasks where id = ?',
      [await tab.evaluate(() => document.body.dataset.job as string)],
    );
    expect(row?.owner_id).toBe('reelcraft-browser-user');
  }, 240_000);
});
