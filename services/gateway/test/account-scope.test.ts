import { describe, expect, it } from 'vitest';
import { DomainError, type Principal } from '@reelforge/contracts';
import type { Forward } from '../src/http/forward.ts';
import { createAccountScope } from '../src/http/scope.ts';

// The cache logic alone, over an owner whose account list we control (the real orchestrator
// behind it is exercised by every e2e test that reads tasks or content).
function owner(initial: string[]) {
  const state = { accounts: [...initial], calls: 0 };
  const forward = (async () => {
    state.calls++;
    return { items: state.accounts.map((id) => ({ id })) };
  }) as unknown as Forward;
  return { state, forward };
}

const alice: Principal = { id: 'alice', roles: [] };

describe('account scope cache', () => {
  it('asks the owner once per TTL, again after it, and at once for an account it does not list yet', async () => {
    let t = 0;
    const { state, forward } = owner(['a1']);
    const scope = createAccountScope(forward, { ttlMs: 1000, now: () => t });
    expect(await scope.ids(alice)).toEqual(['a1']);
    expect(await scope.ids(alice)).toEqual(['a1']);
    expect(state.calls).toBe(1);
    state.accounts.push('a2');
    expect(await scope.ids(alice, 'a2')).toEqual(['a1', 'a2']);
    expect(state.calls).toBe(2);
    t = 1500;
    await scope.ids(alice);
    expect(state.calls).toBe(3);
    scope.forget(alice);
    await scope.ids(alice);
    expect(state.calls).toBe(4);
  });

  it('retries a NOT_FOUND once with a fresh list, and passes other errors and real 404s through', async () => {
    const { state, forward } = owner(['a1']);
    const scope = createAccountScope(forward, { ttlMs: 60_000, now: () => 0 });
    await scope.ids(alice);
    state.accounts.push('a2'); // created through another gateway instance
    const seen: string[][] = [];
    const found = await scope.scoped(alice, async (ids) => {
      seen.push(ids);
      if (!ids.includes('a2')) throw new DomainError('NOT_FOUND', 'task not found');
      return 'task of a2';
    });
    expect(found).toBe('task of a2');
    expect(seen).toEqual([['a1'], ['a1', 'a2']]);

    let runs = 0;
    await expect(
      scope.scoped(alice, async () => {
        runs++;
        throw new DomainError('NOT_FOUND', 'really not there');
      }),
    ).rejects.toThrow('really not there');
    expect(runs).toBe(2);
    runs = 0;
    await expect(
      scope.scoped(alice, async () => {
        runs++;
        throw new DomainError('SERVICE_UNAVAILABLE', 'repurposer is not available');
      }),
    ).rejects.toThrow('not available');
    expect(runs).toBe(1);
  });

  it('keeps at most maxEntries principals', async () => {
    const { state, forward } = owner(['a1']);
    const scope = createAccountScope(forward, { ttlMs: 60_000, maxEntries: 2, now: () => 0 });
    for (const id of ['p1', 'p2', 'p3']) await scope.ids({ id, roles: [] });
    expect(state.calls).toBe(3);
    await scope.ids({ id: 'p3', roles: [] });
    await scope.ids({ id: 'p2', roles: [] });
    expect(state.calls).toBe(3);
    await scope.ids({ id: 'p1', roles: [] }); // evicted first
    expect(state.calls).toBe(4);
  });
});
