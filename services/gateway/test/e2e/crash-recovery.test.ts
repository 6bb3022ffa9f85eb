import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';

import { makeTestVideo, serveFiles, startServiceProcess, type ServiceProcess } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

// A render worker killed with SIGKILL mid-ffmpeg loses nothing: JetStream redelivers the job after
// its ack_wait, a fresh worker renders it, and the result exists exactly once.
describe('repurposer killed mid-render', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false });
    // Long enough that the render is still running when the first worker dies.
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'long.mp4'), {
      seconds: 20,
      width: 1280,
      height: 720,
    });
    files = await serveFiles({ 'long.mp4': video });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await files?.close();
    await stack?.stop();
  });

  const worker = (ackWait = '3s') => {
    const w = startServiceProcess('repurposer', {
      ...stack.env,
      DB_SCHEMA: `${stack.token}_repurposer`,
      HEALTH_PORT: '0',
      TASK_ACK_WAIT: ackWait,
    });
    workers.push(w);
    return w;
  };

  it('redelivers the job to a new worker and completes it once', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-crash', [files.url('long.mp4')]);

    const ws = await watchAccount(stack, bearer, account.id);

    const first = worker();
    await first.waitForLine(/repurposer ready/);
    const res = await api.startGeneration(account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 720, preset: 'medium' },
    });
    expect(res.status).toBe(202);
    const { generation } = (await res.json()) as StartedGeneration;
    const taskId = generation.taskIds[0]!;

    // Kill the worker while ffmpeg is rendering.
    await ws.waitFor(
      'rendering started',
      (m) => m.type === 'job_progress' && m.job_id === taskId && m.stage === 'rendering',
    );
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const [midway] = await stack.sql<{ status: string }>(
      'orchestrator',
      'select status from $schema.generations where id = ?',
      [generation.id],
    );
    expect(midway?.status).toBe('processing');

    const second = worker();
    await second.waitForLine(/repurposer ready/);
    await ws.waitFor(
      'generation completed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === generation.id &&
        (m.status as { status: string }).status === 'completed',
      60_000,
    );
    ws.close();

    const content = await stack.sql('repurposer', 'select id from $schema.generated_content where task_id = ?', [
      taskId,
    ]);
    expect(content).toHaveLength(1);
    const attempts = await stack.sql<{ attempt: number; finished_at: Date | null }>(
      'repurposer',
      'select attempt, finished_at from $schema.task_attempts where task_id = ? order by attempt',
      [taskId],
    );
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(attempts[0]!.finished_at).toBeNull(); // the killed attempt never finished
    expect(attempts[1]!.finished_at).not.toBeNull();
    const [gen] = await stack.sql<{ status: string; completed: number; failed: number; total_requested: number }>(
      'orchestrator',
      'select * from $schema.generations where id = ?',
      [generation.id],
    );
    expect(gen).toMatchObject({ status: 'completed', completed: 1, failed: 0, total_requested: 1 });
    second.child.kill('SIGTERM'); // the next test starts from no worker
    await second.exited;
  }, 120_000);

  it('closes a task as cancelled when its worker died before it could confirm the cancel', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-dead-cancel', [files.url('long.mp4')]);
    const ws = await watchAccount(stack, bearer, account.id);

    // A long ack_wait: the cancel below is handled well before the dead worker's job comes back.
    const first = worker('8s');
    await first.waitForLine(/repurposer ready/);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', options: { width: 720, preset: 'medium' } })
    ).json()) as StartedGeneration;
    const taskId = generation.taskIds[0]!;
    await ws.waitFor('rendering', (m) => m.type === 'job_progress' && m.job_id === taskId && m.stage === 'rendering');
    first.child.kill('SIGKILL');
    await first.exited;

    // Another instance takes the cancel; nobody runs the task now, so it can only be marked `cancelling`.
    const second = worker('8s');
    await second.waitForLine(/repurposer ready/);
    expect((await api.post(`/api/v1/generations/${generation.id}/cancel`, undefined)).status).toBe(202);
    await expect
      .poll(async () => ((await (await api.call(`/api/v1/tasks/${taskId}`)).json()) as { status: string }).status, {
        timeout: 5000,
      })
      .toBe('cancelling');

    // The dead worker's job comes back to the live instance, which closes it instead of rendering it.
    await ws.waitFor(
      'generation cancelled',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === generation.id &&
        (m.status as { status: string }).status === 'cancelled',
      60_000,
    );
    ws.close();
    const task = (await (await api.call(`/api/v1/tasks/${taskId}`)).json()) as { status: string; attempts: unknown[] };
    expect(task.status).toBe('cancelled');
    expect(task.attempts).toHaveLength(1); // never resurrected: no second attempt
    expect(
      await stack.sql('repurposer', 'select 1 from $schema.generated_content where task_id = ?', [taskId]),
    ).toHaveLength(0);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);
});
