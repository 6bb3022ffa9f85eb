import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// One generation per account + content type, enforced by a lock row (not memory), and sources
// reserved with FOR UPDATE SKIP LOCKED: concurrent starts never duplicate a run or share a source.
describe('starting generations concurrently', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;
  const post = (path: string, body: unknown) => api.post(path, body);

  beforeAll(async () => {
    // No repurposer: the generations stay open, so the locks stay held during the test.
    stack = await startStack({ withRepurposer: false });
    api = apiClient(stack.gatewayUrl, await stack.bearer('tenant-lock'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function accountWithSources(n: number): Promise<string> {
    const account = await api.createAccount('Lock');
    for (let i = 0; i < n; i++) await api.addSource(account.id, `https://videos.example.com/${i}.mp4`);
    return account.id;
  }

  it('100 parallel starts for one account and type make exactly one generation', async () => {
    const accountId = await accountWithSources(3);
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        post(`/api/v1/accounts/${accountId}/generations`, { type: 'shorts', count: 2 }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(99);
    const winner = (await responses[statuses.indexOf(202)]!.json()) as { generation: { id: string } };
    const loser = (await responses[statuses.indexOf(409)]!.json()) as { error: { details: { generationId: string } } };
    expect(loser.error.details.generationId).toBe(winner.generation.id);
    const rows = await stack.sql('orchestrator', 'select id from $schema.generations where account_id = ?', [
      accountId,
    ]);
    expect(rows).toHaveLength(1);
    const reserved = await stack.sql(
      'orchestrator',
      "select id from $schema.source_videos where account_id = ? and state = 'reserved'",
      [accountId],
    );
    expect(reserved).toHaveLength(2);
  });

  it('two content types in parallel take disjoint sources; fewer sources than asked is reported', async () => {
    const accountId = await accountWithSources(5);
    const [a, b] = await Promise.all([
      post(`/api/v1/accounts/${accountId}/generations`, { type: 'shorts', count: 3 }),
      post(`/api/v1/accounts/${accountId}/generations`, { type: 'reels', count: 3 }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const bodies = [
      (await a.json()) as { generation: { id: string }; shortBy: number },
      (await b.json()) as { generation: { id: string }; shortBy: number },
    ];
    expect(bodies.map((x) => x.shortBy).sort()).toEqual([0, 1]); // 5 sources for 6 asked
    const tasks = await stack.sql<{ source_id: string; generation_id: string }>(
      'orchestrator',
      'select t.source_id, t.generation_id from $schema.generation_tasks t join $schema.generations g on g.id = t.generation_id where g.account_id = ?',
      [accountId],
    );
    expect(tasks).toHaveLength(5);
    expect(new Set(tasks.map((t) => t.source_id)).size).toBe(5);
    // Each render job went out through the outbox, one per task.
    const outbox = await stack.sql<{ n: string }>(
      'orchestrator',
      "select count(*) as n from $schema.outbox where envelope->>'type' = 'render.job.requested.v1' and envelope->>'accountId' = ?",
      [accountId],
    );
    expect(Number(outbox[0]!.n)).toBe(5);
  });

  it('no available source answers 422 and leaves no lock behind', async () => {
    const accountId = await accountWithSources(0);
    const res = await post(`/api/v1/accounts/${accountId}/generations`, { type: 'shorts' });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'NO_SOURCES_AVAILABLE' } });
    expect(
      await stack.sql('orchestrator', 'select * from $schema.generation_locks where account_id = ?', [accountId]),
    ).toHaveLength(0);
  });
});
