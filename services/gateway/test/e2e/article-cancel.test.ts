import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { eventually, serveFiles, writeArticleSite } from '@reelforge/testing';
import type { TaskView } from '@reelforge/contracts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

const run = promisify(execFile);

/** This process's children running `name` (the repurposer runs in the test's process). */
async function children(name: string): Promise<number[]> {
  const r = await run('pgrep', ['-P', String(process.pid), '-x', name]).catch(() => ({ stdout: '' }));
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

// Cancelling an article video mid-voice-over and mid-compose: its processes are gone within 2 s
// and nothing of it is left in the temp directory.
describe('cancelling an article video', () => {
  let stack: Stack;
  let site: Awaited<ReturnType<typeof serveFiles>>;
  let tenant: Awaited<ReturnType<typeof newTenant>>;
  const dir = mkdtempSync(join(tmpdir(), 'reelforge-article-cancel-'));
  // A narrator that stalls while `stall` exists (a stuck synthesiser, as a real one can be); it
  // answers voice listings and, without the flag, speaks with the real espeak-ng.
  const stall = join(dir, 'stall');
  const narrator = join(dir, 'narrator.sh');

  beforeAll(async () => {
    writeFileSync(
      narrator,
      `#!/bin/sh\ncase " $* " in *" --voices"*) exec '${inject('espeakPath')}' "$@";; esac\n[ -e '${stall}' ] && exec sleep 600\nexec '${inject('espeakPath')}' "$@"\n`,
    );
    chmodSync(narrator, 0o755);
    stack = await startStack({ env: { ESPEAK_NG_PATH: narrator } });
    site = await serveFiles(await writeArticleSite(inject('ffmpegPath'), dir));
    tenant = await newTenant(stack, 'article-cancel', []);
  });
  afterAll(async () => {
    await site?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (body: Record<string, unknown>) => {
    const res = await tenant.api.post(`/api/v1/accounts/${tenant.account.id}/articles`, {
      url: site.url('article.html'),
      ...body,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as TaskView).id;
  };
  /** Cancels, then measures how long until no `name` child is left; the task ends cancelled and its files are gone. */
  const cancelAndMeasure = async (taskId: string, name: string) => {
    const asked = Date.now();
    expect((await tenant.api.post(`/api/v1/tasks/${taskId}/cancel`, undefined)).status).toBe(202);
    await eventually(
      `no ${name} left`,
      async () => ((await children(name)).length === 0 ? true : undefined),
      10_000,
      20,
    );
    const gone = Date.now() - asked;
    const task = await eventually('cancelled', async () => {
      const t = (await (await tenant.api.call(`/api/v1/tasks/${taskId}`)).json()) as TaskView;
      return t.status === 'cancelled' ? t : undefined;
    });
    expect(task.error?.code).toBe('CANCELLED');
    expect(existsSync(join(stack.mediaRoot, '.tmp', taskId))).toBe(false);
    process.stderr.write(`article cancel: no ${name} left ${gone} ms after the cancel request\n`);
    return gone;
  };

  it('mid-voice-over: the narrator process is killed within 2 s', async () => {
    writeFileSync(stall, '');
    try {
      const id = await start({ targetSeconds: 30, width: 360, preset: 'ultrafast' });
      await eventually(
        'the narrator is speaking',
        async () => ((await children('sleep')).length > 0 ? true : undefined),
        60_000,
        20,
      );
      const gone = await cancelAndMeasure(id, 'sleep');
      expect(gone).toBeLessThan(2000);
    } finally {
      rmSync(stall, { force: true });
    }
  }, 120_000);

  it('mid-compose: ffmpeg is killed within 2 s', async () => {
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const id = await start({ targetSeconds: 45, preset: 'ultrafast' });
    await ws.waitFor(
      'composing under way',
      (m) => m.type === 'job_progress' && m.job_id === id && m.stage === 'composing' && Number(m.progress) > 86,
      120_000,
    );
    ws.close();
    expect((await children('ffmpeg')).length).toBeGreaterThan(0);
    const gone = await cancelAndMeasure(id, 'ffmpeg');
    expect(gone).toBeLessThan(2000);
  }, 180_000);
});
