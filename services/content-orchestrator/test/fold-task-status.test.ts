import { describe, expect, it } from 'vitest';
import { makeEnvelope, type TaskStatusChanged } from '@reelforge/contracts';
import { memoryLogger } from '@reelforge/testing';
import { foldTaskStatus, generationStatusOf } from '../src/generations/fold-task-status.ts';
import { foldTaskStatuses } from '../src/generations/fold-task-statuses.ts';
import { createStartGeneration } from '../src/generations/start-generation.ts';
import { bootedOrchestrator } from './support/booted-orchestrator.ts';

// Folding task events into a generation on the real database: redelivered and out-of-order
// events never double-count or move a counter backwards, and the generation closes exactly once.
describe('foldTaskStatus', () => {
  const { log } = memoryLogger('test');
  const principal = { id: 'tenant-fold', roles: [] };

  const { fork, schema, accountWith } = bootedOrchestrator(log);
  const deps = () => ({
    schema: schema(),
    service: 'content-orchestrator',
    consumer: 'test-fold',
    afterCommit: () => undefined,
  });

  async function generationWith(tasks: number) {
    const accountId = await accountWith(principal, tasks);
    const start = createStartGeneration({
      fork,
      schema: schema(),
      service: 'content-orchestrator',
      defaultCount: 1,
      lockExpiryMs: 3_600_000,
      creditCostPerTask: 0,
      taskStates: async () => undefined,
      afterCommit: () => undefined,
      log,
    });
    const { generation } = await start({ principal, accountId, body: { type: 'shorts', count: tasks } });
    return generation;
  }
  const event = (
    accountId: string,
    generationId: string,
    taskId: string,
    status: TaskStatusChanged['data']['status'],
    errorCode?: string,
  ): TaskStatusChanged =>
    makeEnvelope('task.status.v1', 'repurposer', accountId, {
      taskId,
      generationId,
      status,
      attempt: 1,
      error: errorCode ? { code: errorCode, message: 'x', retryable: false } : null,
      output: null,
    });
  const row = async (id: string) =>
    (await fork().execute<Record<string, unknown>[]>(`select * from "${schema()}".generations where id = ?`, [id]))[0]!;

  it('counts a redelivered event once', async () => {
    const g = await generationWith(2);
    const completed = event(g.accountId, g.id, g.taskIds[0]!, 'completed');
    await foldTaskStatus(fork(), completed, deps(), log);
    await foldTaskStatus(fork(), completed, deps(), log); // same event id again
    expect(await row(g.id)).toMatchObject({ status: 'processing', completed: 1, queued: 1, processing: 0 });
  });

  it('ignores a late "processing" after "completed" and never exceeds the total', async () => {
    const g = await generationWith(1);
    const taskId = g.taskIds[0]!;
    await foldTaskStatus(fork(), event(g.accountId, g.id, taskId, 'completed'), deps(), log);
    await foldTaskStatus(fork(), event(g.accountId, g.id, taskId, 'processing'), deps(), log);
    await foldTaskStatus(fork(), event(g.accountId, g.id, taskId, 'failed'), deps(), log);
    expect(await row(g.id)).toMatchObject({
      status: 'completed',
      completed: 1,
      failed: 0,
      processing: 0,
      queued: 0,
      total_requested: 1,
    });
  });

  it('closes a generation with mixed results as partially_failed, releases the lock, settles the sources', async () => {
    const g = await generationWith(3);
    const [a, b, c] = g.taskIds as [string, string, string];
    // Concurrent folds for the same generation serialise on its row lock.
    await Promise.all([
      foldTaskStatus(fork(), event(g.accountId, g.id, a, 'completed'), deps(), log),
      foldTaskStatus(fork(), event(g.accountId, g.id, b, 'failed', 'INVALID_INPUT'), deps(), log),
      foldTaskStatus(fork(), event(g.accountId, g.id, c, 'failed', 'FFMPEG_FAILED'), deps(), log),
    ]);
    const gen = await row(g.id);
    expect(gen).toMatchObject({ status: 'partially_failed', completed: 1, failed: 2, queued: 0, processing: 0 });
    expect(gen.finished_at).not.toBeNull();
    expect(
      await fork().execute(`select 1 from "${schema()}".generation_locks where generation_id = ?`, [g.id]),
    ).toHaveLength(0);
    const states = await fork().execute<{ state: string; task_id: string }[]>(
      `select v.state, t.task_id from "${schema()}".source_videos v join "${schema()}".generation_tasks t on t.source_id = v.id where t.generation_id = ?`,
      [g.id],
    );
    const byTask = Object.fromEntries(states.map((s) => [s.task_id, s.state]));
    expect(byTask).toEqual({ [a]: 'used', [b]: 'failed', [c]: 'available' });
  });

  const announcements = async (generationId: string) =>
    (
      await fork().execute<{ n: number }[]>(
        `select count(*)::int as n from "${schema()}".outbox where envelope->'data'->>'id' = ? and envelope->>'type' = 'content.generation.updated.v1'`,
        [generationId],
      )
    )[0]!.n;

  it('folds many events of one generation in one transaction, by the same rules, and a redelivered batch changes nothing', async () => {
    const g = await generationWith(6);
    const ids = g.taskIds as string[];
    const before = await announcements(g.id);
    const processing = ids.map((t) => event(g.accountId, g.id, t, 'processing'));
    const finished = ids.map((t, i) =>
      event(g.accountId, g.id, t, i < 4 ? 'completed' : 'failed', i < 4 ? undefined : 'FFMPEG_FAILED'),
    );
    // Terminal states first and the late "processing" after them: the order inside a batch does
    // not matter, only the rank; the same event twice in one batch counts once.
    const batch = [...finished, ...processing, finished[0]!];
    await foldTaskStatuses(fork(), batch, deps(), log);
    const gen = await row(g.id);
    expect(gen).toMatchObject({ status: 'partially_failed', completed: 4, failed: 2, queued: 0, processing: 0 });
    expect(gen.finished_at).not.toBeNull();
    expect(await announcements(g.id)).toBe(before + 1);
    expect(
      await fork().execute(`select 1 from "${schema()}".generation_locks where generation_id = ?`, [g.id]),
    ).toHaveLength(0);

    await foldTaskStatuses(fork(), batch, deps(), log);
    expect(await row(g.id)).toMatchObject({ status: 'partially_failed', completed: 4, failed: 2 });
    expect(await announcements(g.id)).toBe(before + 1);
  });

  it('reopens a closed generation from a batch only for a newer retry series', async () => {
    const g = await generationWith(2);
    const [a, b] = g.taskIds as [string, string];
    await foldTaskStatuses(
      fork(),
      [event(g.accountId, g.id, a, 'completed'), event(g.accountId, g.id, b, 'failed', 'FFMPEG_FAILED')],
      deps(),
      log,
    );
    expect(await row(g.id)).toMatchObject({ status: 'partially_failed', completed: 1, failed: 1 });
    // Same series: a closed generation does not move. Series 1 of task b: it reopens.
    const retried = {
      ...event(g.accountId, g.id, b, 'processing'),
      data: { ...event(g.accountId, g.id, b, 'processing').data, series: 1 },
    };
    await foldTaskStatuses(fork(), [event(g.accountId, g.id, a, 'failed', 'X'), retried], deps(), log);
    expect(await row(g.id)).toMatchObject({ status: 'processing', completed: 1, failed: 0, processing: 1 });
  });

  it('folds a batch across generations, each counted and announced once; overlapping batches do not deadlock', async () => {
    const gens = [await generationWith(2), await generationWith(2), await generationWith(1)];
    const before = await Promise.all(gens.map((g) => announcements(g.id)));
    const done = (g: (typeof gens)[number], i: number) => event(g.accountId, g.id, g.taskIds[i]!, 'completed');
    // Two batches at once, naming the shared generations in opposite orders: the locks are taken in id order.
    await Promise.all([
      foldTaskStatuses(fork(), [done(gens[0]!, 0), done(gens[1]!, 0), done(gens[2]!, 0)], deps(), log),
      foldTaskStatuses(fork(), [done(gens[2]!, 0), done(gens[1]!, 1), done(gens[0]!, 1)], deps(), log),
    ]);
    for (const g of gens)
      expect(await row(g.id)).toMatchObject({ status: 'completed', completed: g.taskIds.length, queued: 0 });
    // Each batch that moved a generation announced it once; the third's second event moved nothing.
    expect(await Promise.all(gens.map((g) => announcements(g.id)))).toEqual([
      before[0]! + 2,
      before[1]! + 2,
      before[2]! + 1,
    ]);
  });

  it("folds an event that names the wrong generation into its task's own", async () => {
    const g = await generationWith(1);
    const other = await generationWith(1);
    await foldTaskStatuses(
      fork(),
      [
        event(g.accountId, g.id, g.taskIds[0]!, 'processing'),
        event(other.accountId, g.id, other.taskIds[0]!, 'completed'),
      ],
      deps(),
      log,
    );
    expect(await row(g.id)).toMatchObject({ status: 'processing', processing: 1, completed: 0 });
    expect(await row(other.id)).toMatchObject({ status: 'completed', completed: 1 });
  });

  it("folds a task's event beside a stray that names the same task under another generation", async () => {
    const g = await generationWith(1);
    const other = await generationWith(1);
    const taskId = g.taskIds[0]!;
    await foldTaskStatuses(
      fork(),
      [event(g.accountId, g.id, taskId, 'completed'), event(g.accountId, other.id, taskId, 'processing')],
      deps(),
      log,
    );
    expect(await row(g.id)).toMatchObject({ status: 'completed', completed: 1 });
    expect(await row(other.id)).toMatchObject({ status: 'queuing', queued: 1 });
  });

  it('derives the status from task counts', () => {
    expect(generationStatusOf({ queued: 2 }, 2)).toBe('queuing');
    expect(generationStatusOf({ queued: 1, processing: 1 }, 2)).toBe('processing');
    expect(generationStatusOf({ completed: 2 }, 2)).toBe('completed');
    expect(generationStatusOf({ failed: 2 }, 2)).toBe('failed');
    expect(generationStatusOf({ cancelled: 2 }, 2)).toBe('cancelled');
    expect(generationStatusOf({ completed: 1, cancelled: 1 }, 2)).toBe('partially_failed');
  });
});
