import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;

// `POST /tasks/:id/retry` re-queues the very job the task was asked for: the task row keeps all of
// its inputs (source, captions, options…), not only the ones that have a column.
describe('manual retry keeps every input', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    // No automatic retry: the source's one 503 fails the task for good.
    stack = await startStack({ env: { TASK_MAX_RETRIES: '0' } });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'talk.mp4'), { seconds: 4 });
    const srt = join(stack.mediaRoot, 'talk.srt');
    await writeFile(srt, '1\n00:00:00,000 --> 00:00:04,000\nEvery word is kept\n');
    files = await serveFiles({ 'talk.mp4': video, 'talk.srt': srt }, { failFirst: { 'talk.mp4': 1 } });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('a failed task with captions and explicit options renders with both after a retry', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-retry-inputs', []);
    const ws = await watchAccount(stack, bearer, account.id);
    const options = {
      width: 360,
      preset: 'ultrafast',
      fadeSeconds: 0,
      segments: [{ parts: [{ start: 0.5, end: 3 }] }],
      title: { text: 'Kept on retry' },
      captions: { position: 'middle' },
    };
    const created = await api.post('/api/v1/tasks', {
      accountId: account.id,
      url: files.url('talk.mp4'),
      captionsUrl: files.url('talk.srt'),
      options,
    });
    expect(created.status).toBe(202);
    const taskId = ((await created.json()) as { id: string }).id;

    const failed = await ws.waitFor(
      'task failed',
      (m) => m.type === 'job_status' && m.job_id === taskId && statusOf(m) === 'failed',
    );
    expect((failed.status as { error: { code: string } }).error.code).toBe('FETCH_FAILED');

    const retried = await api.post(`/api/v1/tasks/${taskId}/retry`, undefined);
    expect(retried.status).toBe(202);
    await ws.waitFor(
      'task completed after the retry',
      (m) => m.type === 'job_status' && m.job_id === taskId && statusOf(m) === 'completed',
    );
    ws.close();

    const clips = await stack.sql<{ captioned: boolean; title: string | null; width: number; segment: unknown }>(
      'repurposer',
      'select captioned, title, width, segment from $schema.generated_content where task_id = ?',
      [taskId],
    );
    expect(clips).toEqual([{ captioned: true, title: 'Kept on retry', width: 360, segment: [{ start: 0.5, end: 3 }] }]);
    const [task] = await stack.sql<{ series: number; inputs: { captionsUrl: string; options: unknown } }>(
      'repurposer',
      'select series, inputs from $schema.tasks where id = ?',
      [taskId],
    );
    expect(task).toMatchObject({ series: 1, inputs: { captionsUrl: files.url('talk.srt'), options } });
  });
});
