import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTool } from '@reelforge/local-infra';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// The dashboard as a person uses it, in headless Chromium (Debian's package, installed here like
// ffmpeg): sign in with a token, add a source, start a generation, watch the bar reach 100 % over
// the WebSocket, play the clip, cancel another task. Screenshots go to test-output/dashboard/.
// The functions passed to the page run there (serialized, not eval'd: the page's CSP forbids eval).
declare const document: any;

const SHOTS = join(import.meta.dirname, '..', '..', '..', '..', 'test-output', 'dashboard');

describe('the dashboard in a real browser', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let browser: Browser;

  beforeAll(async () => {
    const chromiumPath = ensureTool({ command: 'chromium', aptPackage: 'chromium' }, (line) => console.log(line));
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    const short = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'short.mp4'), { seconds: 2 });
    const long = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'long.mp4'), { seconds: 40 });
    files = await serveFiles({ 'short.mp4': short, 'long.mp4': long });
    // As root (this machine's CI), Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await files?.close();
    await stack?.stop();
  });

  /** Resolves once the task card's data-status is `status` (the page updates it from the WebSocket). */
  const waitForStatus = (page: Page, nth: number, status: string) =>
    page.waitForFunction(
      ([i, s]) => document.querySelectorAll('li.task')[i]?.dataset.status === s,
      [nth, status] as const,
      {
        timeout: 90_000,
      },
    );

  it('signs in, starts a generation, shows it reach 100 %, plays the clip and cancels another', async () => {
    const bearer = await stack.bearer('dashboard-user');
    const account = await apiClient(stack.gatewayUrl, bearer).createAccount('Dashboard account');
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    // Refusals the page expects (the wrong token's 401, the operator probe's 403) are not problems;
    // a script error or a server error is.
    page.on('response', (res) => {
      if (res.status() >= 500) problems.push(`${res.status()} ${res.url()}`);
    });

    await page.goto(`${stack.gatewayUrl}/`);
    await page.screenshot({ path: join(SHOTS, '1-sign-in.png') });
    // A wrong credential is refused on the page, and nothing else shows.
    await page.fill('#credential', 'not-a-token');
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.textContent('#sign-in-error')).toMatch(/UNAUTHENTICATED|401/);
    expect(await page.isHidden('#workspace')).toBe(true);

    await page.fill('#credential', bearer);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#workspace', { state: 'visible' });
    expect(await page.inputValue('#account')).toBe(account.id);

    await page.fill('#source-url', files.url('short.mp4'));
    await page.click('#source-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#sources').textContent.includes('short.mp4'));
    await page.check('#draft');
    await page.click('#generate');
    await page.waitForSelector('li.task');
    await waitForStatus(page, 0, 'completed');
    expect(await page.evaluate(() => document.querySelector('li.task progress').value)).toBe(100);
    // Nothing went wrong on the way (the page shows API errors here).
    expect(await page.textContent('#workspace-error')).toBe('');

    // The clip shows its thumbnail, and plays: its currentTime moves.
    await page.waitForSelector('li.task video');
    expect(await page.evaluate(() => document.querySelector('li.task video').poster)).toMatch(/^blob:/);
    const played = await page.evaluate(async () => {
      const video = document.querySelector('li.task video');
      video.muted = true;
      await video.play();
      await new Promise<void>((resolve) => {
        const check = () =>
          video.currentTime > 0.3 ? resolve() : video.addEventListener('timeupdate', check, { once: true });
        check();
      });
      return video.currentTime as number;
    });
    expect(played).toBeGreaterThan(0.3);
    await page.screenshot({ path: join(SHOTS, '2-completed-and-playing.png'), fullPage: true });

    // A second, longer task, cancelled from its card while it is queued or running.
    await page.fill('#source-url', files.url('long.mp4'));
    await page.click('#source-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#sources').textContent.includes('long.mp4'));
    await page.click('#generate');
    await page.waitForFunction(() => document.querySelectorAll('li.task').length === 2);
    await page.click('li.task:first-child button:has-text("Cancel")');
    await waitForStatus(page, 0, 'cancelled');
    await page.screenshot({ path: join(SHOTS, '3-cancelled.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it("never shows a tenant another tenant's tasks", async () => {
    const stranger = await stack.bearer('dashboard-stranger');
    await apiClient(stack.gatewayUrl, stranger).createAccount('Stranger account');
    const page = await browser.newPage();
    await page.goto(`${stack.gatewayUrl}/`);
    await page.fill('#credential', stranger);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#workspace', { state: 'visible' });
    await page.waitForFunction(() => document.querySelector('#stats').children.length > 0);
    expect(await page.$$('li.task')).toHaveLength(0);
    expect(await page.textContent('#sources')).toBe('');
    expect(await page.isHidden('#operator')).toBe(true);
  });
});
