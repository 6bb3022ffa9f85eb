import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, processesWorkingInDirNamed, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;

// TASK_TIMEOUT on the real services: the running ffmpeg is killed like a cancel, each attempt is
// recorded TIMED_OUT and retried, and the last one fails the task with TIMED_OUT.
describe('task timeout', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        TASK_TIMEOUT: '1500ms',
        TASK_MAX_RETRIES: '1',
        TASK_INITIAL_RETRY_DELAY: '100ms',
        TASK_MAX_RETRY_DELAY: '200ms',
      },
    });
    const long = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'long.mp4'), {
      seconds: 30,
      width: 1280,
      height: 720,
    });
    files = await serveFiles({ 'long.mp4': long });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('kills the render at the limit, records TIMED_OUT per attempt, fails the task after the last one, leaves no process or file', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-timeout', [files.url('long.mp4')]);
    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', count: 1, options: { width: 1080, preset: 'medium' } })
    ).json()) as StartedGeneration;
    const taskId = generation.taskIds[0]!;
    const failed = await ws.waitFor(
      'task failed',
      (m) => m.type === 'job_status' && m.job_id === taskId && statusOf(m) === 'failed',
    );
    ws.close();
    expect((failed.status as { error: { code: string } }).error.code).toBe('TIMED_OUT');

    const task = (await (await api.call(`/api/v1/tasks/${taskId}`)).json()) as {
      status: string;
      error: { code: string; message: string };
      attempts: { attempt: number; startedAt: string; finishedAt: string; error: { code: string } }[];
    };
    expect(task.status).toBe('failed');
    expect(task.attempts.map((a) => [a.attempt, a.error.code])).toEqual([
      [1, 'TIMED_OUT'],
      [2, 'TIMED_OUT'],
    ]);
    expect(task.error.message).toMatch(/longer than 1500 ms/);
    // Each attempt ended close to the limit: the kill is prompt.
    for (const a of task.attempts) expect(Date.parse(a.finishedAt) - Date.parse(a.startedAt)).toBeLessThan(1500 + 2000);
    expect(await processesWorkingInDirNamed(taskId)).toEqual([]);
    expect(existsSync(join(stack.env.TEMP_DIR!, taskId))).toBe(false);
  });
});
