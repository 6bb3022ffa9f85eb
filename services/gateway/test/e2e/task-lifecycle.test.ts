import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, processesWorkingInDirNamed, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;

/** ffmpeg processes working in a task's temp directory (there is one per running task). */
const ffmpegFor = (taskId: string) => processesWorkingInDirNamed(taskId);

// Retries, cancel and repair on the real services, NATS, PostgreSQL and ffmpeg.
describe('task lifecycle', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        TASK_INITIAL_RETRY_DELAY: '500ms',
        TASK_MAX_RETRY_DELAY: '2s',
        TASK_MAX_RETRIES: '3',
        STUCK_GENERATION_AFTER: '1m',
      },
    });
    const short = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'short.mp4'), { seconds: 2 });
    const long = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'long.mp4'), {
      seconds: 30,
      width: 1280,
      height: 720,
    });
    files = await serveFiles(
      { 'flaky.mp4': short, 'long.mp4': long, 'short.mp4': short },
      { failFirst: { 'flaky.mp4': 2 } },
    );
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('retries a transient failure with backoff and completes on the third attempt', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-retry', [files.url('flaky.mp4')]);
    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', options: { width: 360, preset: 'ultrafast' } })
    ).json()) as StartedGeneration;
    await ws.waitFor(
      'generation completed',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed',
    );
    ws.close();

    const task = (await (await api.call(`/api/v1/tasks/${generation.taskIds[0]}`)).json()) as {
      status: string;
      attempts: {
        attempt: number;
        startedAt: string;
        finishedAt: string | null;
        error: { code: string; message: string } | null;
      }[];
    };
    expect(task.status).toBe('completed');
    expect(task.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(task.attempts.map((a) => a.error?.code ?? null)).toEqual(['FETCH_FAILED', 'FETCH_FAILED', null]);
    expect(task.attempts[0]!.error!.message).toContain('HTTP 503');
    // Backoff: ~500 ms then ~1000 ms (20 % jitter below), measured from the failure to the next start.
    const gap = (i: number) => Date.parse(task.attempts[i + 1]!.startedAt) - Date.parse(task.attempts[i]!.finishedAt!);
    expect(gap(0)).toBeGreaterThanOrEqual(350);
    expect(gap(0)).toBeLessThan(1500);
    expect(gap(1)).toBeGreaterThanOrEqual(750);
    expect(gap(1)).toBeLessThan(2500);
    const stats = (await (await api.call('/api/v1/tasks/stats')).json()) as {
      byStatus: Record<string, number>;
      retriedTasks: number;
      completedLastMinute: number;
    };
    expect(stats).toMatchObject({ byStatus: { completed: 1 }, retriedTasks: 1, completedLastMinute: 1 });
  });

  it('cancels a generation: the queued task at once, the running ffmpeg within 2 s, then releases the lock', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-cancel', [
      files.url('long.mp4'),
      files.url('short.mp4'),
    ]);
    const ws = await watchAccount(stack, bearer, account.id);
    // One worker: the first task renders, the second waits in the queue.
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', count: 2, options: { width: 720, preset: 'medium' } })
    ).json()) as StartedGeneration;
    // Past 10 % of the clip: the render itself runs (its first 5 % is loudnorm's measuring pass).
    const rendering = await ws.waitFor(
      'rendering',
      (m) => m.type === 'job_progress' && m.stage === 'rendering' && /\(([1-9]\d)%\)/.test(String(m.message)),
    );
    const runningTask = rendering.job_id as string;
    expect((await ffmpegFor(runningTask)).length).toBeGreaterThan(0);

    const cancelledAt = Date.now();
    const res = await api.post(`/api/v1/generations/${generation.id}/cancel`, undefined);
    expect(res.status).toBe(202);
    await ws.waitFor(
      'running task cancelled',
      (m) => m.type === 'job_status' && m.job_id === runningTask && statusOf(m) === 'cancelled',
    );
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(await ffmpegFor(runningTask)).toEqual([]);
    expect(existsSync(join(stack.env.TEMP_DIR!, runningTask))).toBe(false);
    const done = await ws.waitFor(
      'generation cancelled',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'cancelled',
    );
    expect((done.status as { counters: Record<string, number> }).counters).toMatchObject({
      totalRequested: 2,
      cancelled: 2,
      completed: 0,
      queued: 0,
      processing: 0,
    });
    ws.close();

    expect(
      await stack.sql('orchestrator', 'select 1 from $schema.generation_locks where account_id = ?', [account.id]),
    ).toHaveLength(0);
    const sources = await stack.sql<{ state: string }>(
      'orchestrator',
      'select state from $schema.source_videos where account_id = ?',
      [account.id],
    );
    expect(sources.map((x) => x.state)).toEqual(['available', 'available']);
    const clips = await stack.sql('repurposer', 'select 1 from $schema.generated_content where account_id = ?', [
      account.id,
    ]);
    expect(clips).toHaveLength(0);
    // A new generation may start right away.
    expect(
      (await api.startGeneration(account.id, { type: 'shorts', options: { width: 360, preset: 'ultrafast' } })).status,
    ).toBe(202);
  });

  it('retries a cancelled task as a new series and reopens its generation', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-manual-retry', [files.url('long.mp4')]);
    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, {
        type: 'retry',
        options: { width: 360, preset: 'ultrafast', maxDurationSeconds: 2 },
      })
    ).json()) as StartedGeneration;
    const taskId = generation.taskIds[0]!;
    await ws.waitFor('running', (m) => m.type === 'job_progress' && m.job_id === taskId);
    expect((await api.post(`/api/v1/tasks/${taskId}/cancel`, undefined)).status).toBe(202);
    await ws.waitFor(
      'generation cancelled',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'cancelled',
    );

    const retried = await api.post(`/api/v1/tasks/${taskId}/retry`, undefined);
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ status: 'queued', series: 1 });
    await ws.waitFor(
      'generation completed after retry',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed',
    );
    ws.close();
    const [gen] = await stack.sql<{ completed: number; cancelled: number; status: string }>(
      'orchestrator',
      'select * from $schema.generations where id = ?',
      [generation.id],
    );
    expect(gen).toMatchObject({ status: 'completed', completed: 1, cancelled: 0 });
    // Retrying a completed task is refused.
    expect((await api.post(`/api/v1/tasks/${taskId}/retry`, undefined)).status).toBe(409);
  });
});
