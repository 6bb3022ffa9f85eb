import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, uuidv7, type RenderJobRequested, type TaskStage } from '@reelforge/contracts';
import type { HandlerContext } from '@reelforge/messaging';
import { makeTestVideo } from '@reelforge/testing';
import { AttemptSuperseded, createRenderJobHandler } from '../../src/handlers/render-job.ts';
import { discardClips } from '../../src/pipeline/discard-clips.ts';
import { renderTask } from '../../src/pipeline/render-task.ts';
import { createRunningTasks } from '../../src/tasks/running-tasks.ts';
import { createTaskStore } from '../../src/tasks/task-store.ts';
import { createHarness, type Harness } from '../support/pipeline-harness.ts';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

// Two overlapping attempts of one task (its job redelivered while the first run is alive), driven
// through the real handler, task store, pipeline and ffmpeg: only the latest attempt may complete.
describe('attempt fencing', () => {
  let pipeline: Harness;
  let svc: ServiceHarness;

  beforeAll(async () => {
    pipeline = await createHarness();
    svc = await createServiceHarness();
  });
  afterAll(async () => {
    await svc?.close();
    await pipeline?.close();
  });

  it("a redelivery while the first attempt still renders: one completion, one set of clips, the first attempt's files untouched", async () => {
    const booted = await svc.boot();
    const { orm, messaging: m, log } = booted.platform;
    const tasks = createTaskStore({ orm, schema: svc.schema, service: 'repurposer', afterCommit: () => undefined });
    const running = createRunningTasks(m, log);

    // Every stage each attempt reaches, with a way to await one.
    const reached: { attempt: number; stage: TaskStage }[] = [];
    const waiters: { attempt: number; stage: TaskStage; resolve: () => void }[] = [];
    const note = (attempt: number, stage: TaskStage) => {
      reached.push({ attempt, stage });
      for (const w of waiters.filter((x) => x.attempt === attempt && x.stage === stage)) w.resolve();
    };
    const until = (attempt: number, stage: TaskStage) =>
      reached.some((r) => r.attempt === attempt && r.stage === stage)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ attempt, stage, resolve }));

    const handler = createRenderJobHandler({
      m,
      service: 'repurposer',
      tasks,
      running,
      taskTimeoutMs: 300_000,
      maxAttempts: 4,
      retry: { initialDelayMs: 100, maxDelayMs: 1000, maxDeliveries: 4, jitter: 0 },
      ackWaitMs: 4000,
      discardClips: (clips) => discardClips(pipeline.store, clips),
      render: (job, signal, report, attempt) =>
        renderTask(
          job,
          pipeline.deps,
          signal,
          (stage, percent, message, eta) => {
            note(attempt, stage);
            report(stage, percent, message, eta);
          },
          attempt,
        ),
    });
    const ctx = (deliveryCount: number): HandlerContext => ({
      deliveryCount,
      lastAttempt: false,
      signal: new AbortController().signal,
      log,
      subject: 'render.jobs.test',
    });

    // Slow enough (720 wide, `fast`) that the first attempt is still rendering when the second starts.
    const video = await makeTestVideo(pipeline.ffmpeg, join(pipeline.root, 'talk.mp4'), {
      seconds: 10,
      width: 1280,
      height: 720,
    });
    const job: RenderJobRequested = makeEnvelope('render.job.requested.v1', 'test', uuidv7(), {
      taskId: uuidv7(),
      generationId: null,
      sourceId: null,
      sourceUrl: await pipeline.upload(video, 'talk.mp4'),
      contentType: 'shorts',
      options: { width: 720, preset: 'fast', segments: [{ parts: [{ start: 0, end: 8 }] }] },
      ownerId: 'tenant-fencing',
    });
    const { taskId } = job.data;

    // A stage is awaited against its attempt: an attempt that ends early fails the test at once.
    const first = handler(job, ctx(1));
    await Promise.race([
      until(1, 'rendering'),
      first.then(() => Promise.reject(new Error('the first attempt ended before rendering'))),
    ]);
    const firstDir = join(pipeline.deps.tempDir, taskId, '1');
    const firstFiles = await readdir(firstDir);
    expect(firstFiles).toContain('source');

    const second = handler(job, ctx(2));
    await Promise.race([
      until(2, 'probing'),
      second.then(() => Promise.reject(new Error('the second attempt ended before probing'))),
    ]); // it has cleared and filled its own directory
    expect(
      reached.some((r) => r.attempt === 1 && r.stage === 'uploading'),
      'the first attempt must still be rendering here',
    ).toBe(false);
    expect(await readdir(firstDir)).toEqual(expect.arrayContaining(firstFiles));

    const [one, two] = await Promise.allSettled([first, second]);
    expect(two.status).toBe('fulfilled');
    expect(one.status).toBe('rejected');
    expect((one as PromiseRejectedResult).reason).toBeInstanceOf(AttemptSuperseded);

    const [task] = await svc.sql<{ status: string; attempt: number }>(
      `select status, attempt from "${svc.schema}".tasks where id = $1`,
      [taskId],
    );
    expect(task).toEqual({ status: 'completed', attempt: 2 });
    const clips = await svc.sql<{ media_key: string }>(
      `select media_key from "${svc.schema}".generated_content where task_id = $1`,
      [taskId],
    );
    expect(clips.map((c) => c.media_key)).toEqual([`${job.accountId}/${taskId}/2/clip-00.mp4`]);
    const completions = await svc.sql<{ n: number }>(
      `select count(*)::int as n from "${svc.schema}".outbox where envelope->>'type' = 'task.status.v1' and envelope->'data'->>'taskId' = $1 and envelope->'data'->>'status' = 'completed'`,
      [taskId],
    );
    expect(completions[0]!.n).toBe(1);
    // The superseded attempt's clip never reaches a reader: it is removed from the store.
    expect(existsSync(pipeline.store.pathOf(`${job.accountId}/${taskId}/1/clip-00.mp4`))).toBe(false);
    expect(existsSync(pipeline.store.pathOf(clips[0]!.media_key))).toBe(true);
    expect(await pipeline.leftovers()).toEqual([]);
    await running.close();
  }, 180_000);
});
