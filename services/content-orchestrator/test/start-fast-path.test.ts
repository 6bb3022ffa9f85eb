import { describe, expect, it } from 'vitest';
import { uuidv7, type Principal } from '@reelforge/contracts';
import { memoryLogger } from '@reelforge/testing';
import { loadGenerationView } from '../src/generations/generation-view.ts';
import { startOnFastPath } from '../src/generations/start-fast-path.ts';
import type { StartGenerationRequest } from '../src/generations/start-generation.ts';
import { bootedOrchestrator } from './support/booted-orchestrator.ts';

/** Rolls the caller's transaction back after `fn` (a fast path that declined must leave nothing). */
class RollBack extends Error {}

// The two-statement start on the real database: the common case writes what the full start
// writes; every other case declines (undefined) without taking a source from anyone.
describe('startOnFastPath', () => {
  const { log } = memoryLogger('test');
  const principal: Principal = { id: 'tenant-fast-start', roles: [] };

  const orchestrator = bootedOrchestrator(log);
  const { fork, schema } = orchestrator;
  const deps = () => ({
    schema: schema(),
    service: 'content-orchestrator',
    lockExpiryMs: 3_600_000,
    creditCostPerTask: 0,
  });

  const accountWith = (sources: number) => orchestrator.accountWith(principal, sources);
  const request = (
    accountId: string,
    count: number,
    more: Partial<StartGenerationRequest> = {},
  ): StartGenerationRequest => ({
    principal,
    accountId,
    body: { type: 'shorts', count },
    ...more,
  });
  const start = (req: StartGenerationRequest) =>
    fork().transactional((em) =>
      startOnFastPath(em, deps(), { req, generationId: uuidv7(), count: req.body.count ?? 1, requestHash: 'h' }),
    );
  /** The fast path in a transaction that is rolled back afterwards, with what it returned. */
  async function declined(req: StartGenerationRequest): Promise<unknown> {
    let result: unknown = 'not run';
    await fork()
      .transactional(async (em) => {
        result = await startOnFastPath(em, deps(), { req, generationId: uuidv7(), count: 1, requestHash: 'h' });
        throw new RollBack();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RollBack)) throw err;
      });
    return result;
  }
  const availableSources = async (accountId: string) =>
    (
      await fork().execute<{ n: number }[]>(
        `select count(*)::int as n from "${schema()}".source_videos where account_id = ? and state = 'available'`,
        [accountId],
      )
    )[0]!.n;

  it('starts a generation as the full start does: counters, reserved sources, tasks, jobs and announcement', async () => {
    const accountId = await accountWith(3);
    const started = await start(request(accountId, 5));
    expect(started).toBeDefined();
    const { generation, shortBy } = started!;
    expect(shortBy).toBe(2);
    expect(generation.counters).toMatchObject({ totalRequested: 3, queued: 3, processing: 0 });
    // What the caller is told is what a later read of the committed rows shows.
    expect(await loadGenerationView(fork(), schema(), generation.id)).toEqual(generation);
    expect(await availableSources(accountId)).toBe(0);
    const outbox = await fork().execute<{ type: string; task: string | null; owner: string | null }[]>(
      `select envelope->>'type' as type, envelope->'data'->>'taskId' as task, envelope->'data'->>'ownerId' as owner
         from "${schema()}".outbox where envelope->>'accountId' = ? order by created_at`,
      [accountId],
    );
    expect(outbox.map((o) => o.type)).toEqual([
      'render.job.requested.v1',
      'render.job.requested.v1',
      'render.job.requested.v1',
      'content.generation.updated.v1',
    ]);
    expect(
      outbox
        .slice(0, 3)
        .map((o) => o.task)
        .sort(),
    ).toEqual([...generation.taskIds].sort());
    expect(outbox.every((o) => o.owner === principal.id)).toBe(true);
  });

  it('declines while another generation holds the lock, and holds none of the sources meanwhile', async () => {
    const accountId = await accountWith(2);
    await start(request(accountId, 1));
    const em = fork();
    await em.transactional(async (tx) => {
      expect(
        await startOnFastPath(tx, deps(), {
          req: request(accountId, 1),
          generationId: uuidv7(),
          count: 1,
          requestHash: 'h',
        }),
      ).toBeUndefined();
      // Still inside the declined start's transaction: another start can take the free source.
      const free = await fork().execute<{ id: string }[]>(
        `select id from "${schema()}".source_videos where account_id = ? and state = 'available' for update skip locked`,
        [accountId],
      );
      expect(free).toHaveLength(1);
    });
  });

  it("declines a stranger's account, a used idempotency key and an account without sources", async () => {
    const accountId = await accountWith(2);
    const stranger: Principal = { id: 'tenant-stranger', roles: [] };
    expect(await declined(request(accountId, 1, { principal: stranger }))).toBeUndefined();
    expect(await start(request(accountId, 1, { idempotencyKey: 'k1' }))).toBeDefined();
    // The key is taken: the full start answers a replay (the same generation), not this path.
    expect(
      await declined(request(accountId, 1, { idempotencyKey: 'k1', body: { type: 'other', count: 1 } })),
    ).toBeUndefined();
    const empty = await accountWith(0);
    expect(await declined(request(empty, 1))).toBeUndefined();
    expect(await availableSources(accountId)).toBe(1);
  });
});
