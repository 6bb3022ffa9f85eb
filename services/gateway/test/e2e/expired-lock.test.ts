import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// A generation lock carries an expiry: once it has passed, the next start takes the lock over in
// its own transaction and closes the old generation (as the cleanup job would), instead of
// answering 409 until the job runs. A lock that has not expired still answers 409.
describe('expired generation locks', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // No repurposer: tasks stay queued, so a generation stays open and keeps its lock.
    stack = await startStack({ withRepurposer: false });
    api = apiClient(stack.gatewayUrl, await stack.bearer('tenant-expiry'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function runningGeneration(
    sources: number,
  ): Promise<{ accountId: string; generation: StartedGeneration['generation'] }> {
    const account = await api.createAccount('Expiry');
    for (let i = 0; i < sources; i++) await api.addSource(account.id, `https://videos.example.com/expiry-${i}.mp4`);
    const res = await api.startGeneration(account.id, { type: 'shorts' });
    expect(res.status).toBe(202);
    return { accountId: account.id, generation: ((await res.json()) as StartedGeneration).generation };
  }
  const expireLock = (accountId: string) =>
    stack.sql(
      'orchestrator',
      `update $schema.generation_locks set expires_at = now() - interval '1 second' where account_id = ?`,
      [accountId],
    );
  const generationRow = async (id: string) =>
    (
      await stack.sql<{ status: string; finished_at: Date | null; cancelled: number }>(
        'orchestrator',
        'select status, finished_at, cancelled from $schema.generations where id = ?',
        [id],
      )
    )[0]!;

  it('answers 409 while the lock has not expired', async () => {
    const { accountId, generation } = await runningGeneration(2);
    const res = await api.startGeneration(accountId, { type: 'shorts' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: { code: 'GENERATION_LOCKED', details: { generationId: generation.id } },
    });
    expect((await generationRow(generation.id)).status).toBe('queuing');
  });

  it('takes an expired lock over: the start is 202 and the old generation is closed, its tasks cancelled', async () => {
    const { accountId, generation: old } = await runningGeneration(2);
    await expireLock(accountId);
    const res = await api.startGeneration(accountId, { type: 'shorts' });
    expect(res.status).toBe(202);
    const started = ((await res.json()) as StartedGeneration).generation;
    expect(started.id).not.toBe(old.id);
    const closed = await generationRow(old.id);
    expect(closed).toMatchObject({ status: 'cancelled', cancelled: 1 });
    expect(closed.finished_at).not.toBeNull();
    const oldTasks = await stack.sql<{ status: string; error_code: string }>(
      'orchestrator',
      'select status, error_code from $schema.generation_tasks where generation_id = ?',
      [old.id],
    );
    expect(oldTasks).toEqual([{ status: 'cancelled', error_code: 'LOCK_EXPIRED' }]);
    // The repurposer is told to stop the old tasks (one cancel request through the outbox).
    const cancels = await stack.sql<{ task_ids: string[] }>(
      'orchestrator',
      "select envelope->'data'->'taskIds' as task_ids from $schema.outbox where envelope->>'type' = 'content.cancel.requested.v1' and envelope->'data'->>'generationId' = ?",
      [old.id],
    );
    expect(cancels).toEqual([{ task_ids: old.taskIds }]);
    const locks = await stack.sql<{ generation_id: string }>(
      'orchestrator',
      'select generation_id from $schema.generation_locks where account_id = ?',
      [accountId],
    );
    expect(locks).toEqual([{ generation_id: started.id }]);
  });

  it('lets exactly one of several racing starts take an expired lock over', async () => {
    const { accountId, generation: old } = await runningGeneration(3);
    await expireLock(accountId);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => api.startGeneration(accountId, { type: 'shorts' })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    const winner = ((await responses[statuses.indexOf(202)]!.json()) as StartedGeneration).generation;
    for (const r of responses.filter((x) => x.status === 409))
      expect(await r.json()).toMatchObject({
        error: { code: 'GENERATION_LOCKED', details: { generationId: winner.id } },
      });
    expect((await generationRow(old.id)).status).toBe('cancelled');
    const open = await stack.sql<{ id: string }>(
      'orchestrator',
      "select id from $schema.generations where account_id = ? and status in ('queuing', 'processing')",
      [accountId],
    );
    expect(open).toEqual([{ id: winner.id }]);
    // The old generation was closed once: one cancel request, not one per racing start.
    const cancels = await stack.sql(
      'orchestrator',
      "select 1 from $schema.outbox where envelope->>'type' = 'content.cancel.requested.v1' and envelope->'data'->>'generationId' = ?",
      [old.id],
    );
    expect(cancels).toHaveLength(1);
  });
});
