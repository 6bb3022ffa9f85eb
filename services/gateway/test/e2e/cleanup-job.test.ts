import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@reelforge/contracts';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// The cleanup_stuck_generation job on real rows: each stuck case is built by hand in the
// orchestrator's (and, for real states, the repurposer's) tables, then repaired by the job.
describe('cleanup-stuck-generations job', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;
  let accountId: string;
  const sources: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { STUCK_GENERATION_AFTER: '1m' } });
    api = apiClient(stack.gatewayUrl, await stack.bearer('ops', ['operator']));
    accountId = (await api.createAccount('Stuck')).id;
    for (let i = 0; i < 8; i++) sources.push((await api.addSource(accountId, `https://v.example/${i}.mp4`)).id);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A generation as a crash or a bug might have left it, `updated_at` two hours ago. */
  async function stuckGeneration(g: {
    type: string;
    total: number;
    counters: [number, number, number, number, number];
    tasks: [string, number][];
  }): Promise<{ id: string; taskIds: string[] }> {
    const id = uuidv7();
    const [queued, processing, completed, failed, cancelled] = g.counters;
    // The CHECK on the counters' sum is lifted by hand for the corrupt case, as an old bug could have done.
    await stack.sql(
      'orchestrator',
      'alter table $schema.generations drop constraint if exists generations_counters_sum',
    );
    await stack.sql(
      'orchestrator',
      `insert into $schema.generations (id, account_id, content_type, status, total_requested, queued, processing, completed, failed, cancelled, updated_at) values (?, ?, ?, 'processing', ?, ?, ?, ?, ?, ?, now() - interval '2 hours')`,
      [id, accountId, g.type, g.total, queued, processing, completed, failed, cancelled],
    );
    await stack.sql(
      'orchestrator',
      `insert into $schema.generation_locks (account_id, content_type, generation_id, expires_at) values (?, ?, ?, now() + interval '1 hour')`,
      [accountId, g.type, id],
    );
    const taskIds: string[] = [];
    for (const [status, sourceIndex] of g.tasks) {
      const taskId = uuidv7();
      taskIds.push(taskId);
      await stack.sql(
        'orchestrator',
        `insert into $schema.generation_tasks (task_id, generation_id, source_id, status) values (?, ?, ?, ?)`,
        [taskId, id, sources[sourceIndex], status],
      );
      await stack.sql(
        'orchestrator',
        `update $schema.source_videos set state = 'reserved', generation_id = ? where id = ?`,
        [id, sources[sourceIndex]],
      );
    }
    return { id, taskIds };
  }
  const generation = async (id: string) =>
    (await stack.sql('orchestrator', 'select * from $schema.generations where id = ?', [id]))[0]!;

  it('repairs each stuck case and removes expired locks, and reports what it did', async () => {
    const allTerminal = await stuckGeneration({
      type: 'a',
      total: 2,
      counters: [0, 2, 0, 0, 0],
      tasks: [
        ['completed', 0],
        ['failed', 1],
      ],
    });
    const shortTotals = await stuckGeneration({
      type: 'b',
      total: 3,
      counters: [0, 0, 1, 0, 0],
      tasks: [['completed', 2]],
    });
    const overCount = await stuckGeneration({
      type: 'c',
      total: 2,
      counters: [0, 1, 2, 1, 0],
      tasks: [
        ['completed', 3],
        ['processing', 4],
      ],
    });
    const staleView = await stuckGeneration({
      type: 'd',
      total: 1,
      counters: [0, 1, 0, 0, 0],
      tasks: [['processing', 5]],
    });
    // The repurposer knows better: that task really completed.
    await stack.sql(
      'repurposer',
      `insert into $schema.tasks (id, account_id, generation_id, source_url, content_type, status, finished_at) values (?, ?, ?, 'https://v.example/5.mp4', 'd', 'completed', now())`,
      [staleView.taskIds[0], accountId, staleView.id],
    );
    // A healthy, recent generation whose lock has expired anyway.
    const fresh = uuidv7();
    await stack.sql(
      'orchestrator',
      `insert into $schema.generations (id, account_id, content_type, status, total_requested, queued) values (?, ?, 'e', 'queuing', 0, 0)`,
      [fresh, accountId],
    );
    await stack.sql(
      'orchestrator',
      `insert into $schema.generation_locks (account_id, content_type, generation_id, acquired_at, expires_at) values (?, 'e', ?, now() - interval '4 hours', now() - interval '1 hour')`,
      [accountId, fresh],
    );

    const forbidden = await apiClient(stack.gatewayUrl, await stack.bearer('not-admin')).post(
      '/api/v1/jobs/cleanup-stuck-generations/run',
      undefined,
    );
    expect(forbidden.status).toBe(403);
    const res = await api.post('/api/v1/jobs/cleanup-stuck-generations/run', undefined);
    expect(res.status).toBe(200);
    const summary = (await res.json()) as {
      examined: number;
      fixed: { generationId: string; case: string; status: string }[];
      locksRemoved: number;
    };
    const byId = Object.fromEntries(summary.fixed.map((f) => [f.generationId, f]));
    expect(summary.examined).toBe(4);
    expect(summary.locksRemoved).toBe(1);
    expect(byId[allTerminal.id]).toMatchObject({ case: 'all_tasks_terminal', status: 'partially_failed' });
    expect(byId[shortTotals.id]).toMatchObject({ case: 'no_active_tasks', status: 'completed' });
    expect(byId[overCount.id]).toMatchObject({ case: 'counters_exceed_total', status: 'processing' });
    expect(byId[staleView.id]).toMatchObject({ status: 'completed' });

    expect(await generation(allTerminal.id)).toMatchObject({
      status: 'partially_failed',
      completed: 1,
      failed: 1,
      processing: 0,
    });
    expect(await generation(shortTotals.id)).toMatchObject({ status: 'completed', total_requested: 1, completed: 1 });
    expect(await generation(overCount.id)).toMatchObject({
      status: 'processing',
      completed: 1,
      failed: 0,
      processing: 1,
      total_requested: 2,
    });
    expect(await generation(staleView.id)).toMatchObject({ status: 'completed', completed: 1, processing: 0 });
    const locks = await stack.sql<{ content_type: string }>(
      'orchestrator',
      'select content_type from $schema.generation_locks where account_id = ? order by content_type',
      [accountId],
    );
    expect(locks.map((l) => l.content_type)).toEqual(['c']); // only the one still genuinely running

    // Run again: nothing left to fix.
    const again = (await (await api.post('/api/v1/jobs/cleanup-stuck-generations/run', undefined)).json()) as {
      fixed: unknown[];
      locksRemoved: number;
    };
    expect(again).toMatchObject({ fixed: [], locksRemoved: 0 });
  });
});
