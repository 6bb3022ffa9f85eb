import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeEnvelope, uuidv7 } from '@reelforge/contracts';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

const MAX_RETRIES = 1;
const SHUTDOWNS = MAX_RETRIES + 2;

// Rolling deploys stop workers mid-render: each stop waits SHUTDOWN_GRACE, then interrupts the
// render and hands the job back. An interrupted attempt is recorded but is not a failed try, so a
// healthy task survives more rollouts than TASK_MAX_RETRIES allows failures.
describe('shutdown during a render', () => {
  let svc: ServiceHarness;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    svc = await createServiceHarness({ TASK_MAX_RETRIES: String(MAX_RETRIES), SHUTDOWN_GRACE: '100ms' });
    // Long enough (720 wide, `medium`) that every stop below lands while ffmpeg renders.
    const video = await makeTestVideo(inject('ffmpegPath'), join(svc.mediaRoot, 'talk.mp4'), {
      seconds: 12,
      width: 1280,
      height: 720,
    });
    files = await serveFiles({ 'talk.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await svc?.close();
  });

  it(`a task interrupted by ${SHUTDOWNS} shutdowns (TASK_MAX_RETRIES=${MAX_RETRIES}) completes on the next run`, async () => {
    const accountId = uuidv7();
    const job = makeEnvelope('render.job.requested.v1', 'test', accountId, {
      taskId: uuidv7(),
      generationId: null,
      sourceId: null,
      sourceUrl: files.url('talk.mp4'),
      contentType: 'shorts',
      options: { width: 720, preset: 'medium', segments: [{ parts: [{ start: 0, end: 10 }] }] },
      ownerId: 'tenant-shutdown',
    });
    const { taskId } = job.data;
    const taskRow = async () =>
      (
        await svc.sql<{ status: string; stage: string; attempt: number }>(
          `select status, stage, attempt from "${svc.schema}".tasks where id = $1`,
          [taskId],
        )
      )[0];

    for (let n = 1; n <= SHUTDOWNS; n++) {
      const worker = await svc.boot();
      if (n === 1) await svc.publishJob(accountId, job); // the stream exists once a worker has started
      await eventually(
        `attempt ${n} rendering`,
        async () => {
          const t = await taskRow();
          return t?.attempt === n && t.stage === 'rendering' ? t : undefined;
        },
        60_000,
      );
      await worker.stop(); // what SIGTERM runs
      const [attempt] = await svc.sql<{ error_code: string | null; finished_at: Date | null }>(
        `select error_code, finished_at from "${svc.schema}".task_attempts where task_id = $1 and attempt = $2`,
        [taskId, n],
      );
      expect(attempt?.error_code, `attempt ${n}`).toBe('INTERRUPTED');
      expect(attempt?.finished_at).not.toBeNull();
      expect((await taskRow())?.status).toBe('processing');
    }

    await svc.boot();
    const done = await eventually(
      'task finished',
      async () => {
        const t = await taskRow();
        return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
      },
      120_000,
    );
    expect(done).toMatchObject({ status: 'completed', attempt: SHUTDOWNS + 1 });
    const attempts = await svc.sql<{ attempt: number; error_code: string | null }>(
      `select attempt, error_code from "${svc.schema}".task_attempts where task_id = $1 order by attempt`,
      [taskId],
    );
    expect(attempts.map((a) => [a.attempt, a.error_code])).toEqual([
      ...Array.from({ length: SHUTDOWNS }, (_, i) => [i + 1, 'INTERRUPTED']),
      [SHUTDOWNS + 1, null],
    ]);
    expect(await svc.sql(`select 1 from "${svc.schema}".generated_content where task_id = $1`, [taskId])).toHaveLength(
      1,
    );
    expect(existsSync(join(svc.env.TEMP_DIR!, taskId))).toBe(false);
  }, 300_000);
});
