import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTool } from '@reelforge/local-infra';
import { subjects, uuidv7, type DeadLetterView } from '@reelforge/contracts';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { playedPast } from '../support/video-playback.ts';

// The dashboard as a person uses it, in headless Chromium (Debian's package, installed here like
// ffmpeg): sign in with a token, add a source, start a generation, watch the bar reach 100 % over
// the WebSocket, play the clip, cancel another task; an operator sees dead letters and job runs and
// redrives a letter. Screenshots go to test-output/dashboard/.
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
    stack = await startStack({ withScheduler: true });
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
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    // Refusals the page expects (the wrong token's 401, the operator probe's 403) are not problems;
    // a script error or a server error is.
    const mediaStatuses: number[] = [];
    page.on('response', (res) => {
      if (res.status() >= 500) problems.push(`${res.status()} ${res.url()}`);
      if (res.url().includes('/api/v1/media/')) mediaStatuses.push(res.status());
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
    // A new user has no account yet: only "New account" is offered, and it makes one.
    expect(await page.isHidden('#source-form')).toBe(true);
    await page.fill('#account-name', 'Dashboard account');
    await page.click('#account-form button[type=submit]');
    await page.waitForSelector('#source-form', { state: 'visible' });
    const { items: accounts } = (await (await apiClient(stack.gatewayUrl, bearer).call('/api/v1/accounts')).json()) as {
      items: { id: string; name: string }[];
    };
    expect(accounts.map((a) => a.name)).toEqual(['Dashboard account']);
    expect(await page.inputValue('#account')).toBe(accounts[0]!.id);

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
    // Both from signed links, the video streamed with Range requests (206), not fetched whole.
    expect(await page.evaluate(() => document.querySelector('li.task video').poster)).toMatch(/\/api\/v1\/media\//);
    expect(await page.evaluate(() => document.querySelector('li.task video').src)).toMatch(/\/api\/v1\/media\//);
    const played = await playedPast(page, 'li.task video', 0.3);
    expect(played).toBeGreaterThan(0.3);
    expect(mediaStatuses).toContain(206);
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
    // On a phone's screen (390 × 844 CSS px): one column, nothing wider than the screen.
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(`${stack.gatewayUrl}/`);
    await page.fill('#credential', stranger);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#workspace', { state: 'visible' });
    await page.waitForFunction(() => document.querySelector('#stats').children.length > 0);
    expect(await page.$$('li.task')).toHaveLength(0);
    expect(await page.textContent('#sources')).toBe('');
    expect(await page.isHidden('#operator')).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth as number)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, '5-phone.png'), fullPage: true });
  });

  it('shows an operator the dead letters and the job runs, and redrives a letter from its button', async () => {
    const ops = apiClient(stack.gatewayUrl, await stack.bearer('dashboard-ops', ['operator']));
    // A message no consumer can read: it is dead-lettered as invalid at once.
    const account = await apiClient(stack.gatewayUrl, await stack.bearer('dashboard-dlq')).createAccount('DLQ');
    const junk = `not json ${uuidv7()}`;
    const m = stack.orchestrator!.platform.messaging;
    await m.js.publish(m.subject(subjects.taskStatus(account.id)), junk, { msgID: junk });
    const lettersOf = async () =>
      (
        (await (await ops.call('/api/v1/admin/dead-letters?limit=100')).json()) as { items: DeadLetterView[] }
      ).items.filter((l) => l.payload === junk);
    const [letter] = await eventually('the junk dead-lettered', async () =>
      (await lettersOf()).length ? lettersOf() : undefined,
    );
    const run = await ops.post('/api/v1/jobs/cleanup_stuck_generations/run', undefined);
    expect(run.status).toBe(200);

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`${stack.gatewayUrl}/`);
    await page.fill('#credential', await stack.bearer('dashboard-ops', ['operator']));
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#operator', { state: 'visible' });
    const item = page.locator('#dead-letters li', { hasText: `#${letter!.id} ` });
    await expect.poll(() => item.textContent()).toMatch(/invalid/);
    await page.waitForFunction(() =>
      document.querySelector('#job-runs').textContent.includes('cleanup_stuck_generations · succeeded'),
    );
    await page.screenshot({ path: join(SHOTS, '4-operator.png'), fullPage: true });

    const before = new Set((await lettersOf()).map((l) => l.id));
    await item.locator('button', { hasText: 'Redrive' }).click();
    await expect
      .poll(() => page.textContent('#operator-status'))
      .toMatch(new RegExp(`Dead letter ${letter!.id} redriven to \\S+`));
    // The redriven message went through its consumer again (and, still junk, came back as a new letter).
    await eventually('the redriven junk dead-lettered again', async () =>
      (await lettersOf()).some((l) => !before.has(l.id)) ? true : undefined,
    );
    expect(problems).toEqual([]);
  });
});
