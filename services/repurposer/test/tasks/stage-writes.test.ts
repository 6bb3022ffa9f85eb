import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderJobRequested } from '@reelforge/contracts';
import { createTaskStore } from '../../src/tasks/task-store.ts';
import { renderJob } from '../support/render-job.ts';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

// Stage writes of many running tasks, group-committed, on the real database: each row ends at its
// task's latest stage, a stale attempt writes nothing, and a cancelled task says so.
describe('stage writes', () => {
  let svc: ServiceHarness;
  beforeAll(async () => {
    svc = await createServiceHarness();
  });
  afterAll(async () => {
    await svc?.close();
  });

  const job = (): RenderJobRequested => renderJob('tenant-stages');

  it('writes the latest stage of every task, refuses a stale attempt, and reports a pending cancel', async () => {
    const booted = await svc.boot();
    const { orm } = booted.platform;
    const tasks = createTaskStore({ orm, schema: svc.schema, service: 'repurposer', afterCommit: () => undefined });
    const jobs = [job(), job(), job()];
    for (const j of jobs) expect(await tasks.beginAttempt(j, 4)).toMatchObject({ kind: 'run', attempt: 1 });
    const [a, b, c] = jobs.map((j) => j.data.taskId) as [string, string, string];
    await tasks.requestCancel([{ taskId: c, accountId: jobs[2]!.accountId, generationId: null }], 'stop');

    // All at once, as running tasks report: they go in at most two statements, in arrival order.
    const answers = await Promise.all([
      tasks.setStage(a, 1, 'downloading', 5),
      tasks.setStage(b, 1, 'downloading', 5),
      tasks.setStage(a, 1, 'analyzing', 20),
      tasks.setStage(b, 0, 'rendering', 90), // an attempt that is no longer current
      tasks.setStage(c, 1, 'rendering', 50),
      tasks.setStage(a, 1, 'rendering', 40),
    ]);
    expect(answers).toEqual([false, false, false, false, true, false]);
    const rows = await svc.sql<{ id: string; stage: string; percent: string; status: string }>(
      `select id, stage, percent, status from "${svc.schema}".tasks where id = any($1::uuid[])`,
      [[a, b, c]],
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[a]).toMatchObject({ stage: 'rendering', status: 'processing' });
    expect(Number(byId[a]!.percent)).toBe(40);
    expect(byId[b]).toMatchObject({ stage: 'downloading', status: 'processing' });
    expect(byId[c]!.status).toBe('cancelling');
    expect(byId[c]!.stage).not.toBe('rendering');
    await booted.stop();
  });

  it('skips a task whose row another transaction holds instead of waiting for it (no deadlock with a completion)', async () => {
    const booted = await svc.boot();
    const { orm } = booted.platform;
    const tasks = createTaskStore({ orm, schema: svc.schema, service: 'repurposer', afterCommit: () => undefined });
    const jobs = [job(), job()];
    for (const j of jobs) expect(await tasks.beginAttempt(j, 4)).toMatchObject({ kind: 'run', attempt: 1 });
    const [held, free] = jobs.map((j) => j.data.taskId) as [string, string];
    // The held row stays locked until the writes have answered: had they waited for it, this
    // transaction (which awaits them) and they would wait for each other forever.
    await orm.em.fork().transactional(async (tx) => {
      await tx.execute(`select 1 from "${svc.schema}".tasks where id = ? for update`, [held]);
      const answers = await Promise.all([
        tasks.setStage(held, 1, 'rendering', 50),
        tasks.setStage(free, 1, 'rendering', 50),
      ]);
      expect(answers).toEqual([false, false]);
    });
    const rows = await svc.sql<{ id: string; stage: string }>(
      `select id, stage from "${svc.schema}".tasks where id = any($1::uuid[])`,
      [[held, free]],
    );
    const stageOf = Object.fromEntries(rows.map((r) => [r.id, r.stage]));
    expect(stageOf[free]).toBe('rendering');
    expect(stageOf[held]).toBe('downloading');
    await booted.stop();
  });
});
