import { DomainError, orchestratorCommands, type Principal } from '@reelforge/contracts';
import type { Forward } from './forward.ts';

export interface AccountScope {
  /** The accounts the caller owns; a list at most `ttlMs` old, fresh when it lacks `mustInclude`. */
  ids(principal: Principal, mustInclude?: string): Promise<string[]>;
  /**
   * Runs a query scoped by the caller's accounts. If the owner answers NOT_FOUND with a cached
   * list, it runs once more with a fresh one: an account created a moment ago (possibly through
   * another gateway instance) is never hidden, and a real 404 costs one extra round trip.
   */
  scoped<T>(principal: Principal, query: (accountIds: string[]) => Promise<T>): Promise<T>;
  /** Drops the caller's cached list (after they create an account here). */
  forget(principal: Principal): void;
}

/**
 * The accounts a caller owns come from their owner (the orchestrator). Only commands that still
 * take a list of account ids use this (the backlog's instant claim, whose owner is not built yet);
 * task, content and status queries are scoped by the principal in the repurposer instead, since a
 * shipped list is bounded (the orchestrator lists at most 500). Accounts are never transferred or
 * deleted, so a list can only be missing new ones: caching it briefly per principal saves a
 * request/reply per call.
 */
export function createAccountScope(forward: Forward, options: { ttlMs: number; maxEntries?: number; now?: () => number }): AccountScope {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { ids: string[]; at: number }>();

  async function fresh(principal: Principal): Promise<string[]> {
    const ids = (await forward(orchestratorCommands.listAccounts, { principal })).items.map((a) => a.id);
    cache.delete(principal.id); // re-inserted last: the Map's order is the eviction order
    cache.set(principal.id, { ids, at: now() });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return ids;
  }
  const cached = (principal: Principal) => {
    const entry = cache.get(principal.id);
    return entry && now() - entry.at < options.ttlMs ? entry.ids : undefined;
  };

  return {
    async ids(principal, mustInclude) {
      const ids = cached(principal);
      return ids && (mustInclude === undefined || ids.includes(mustInclude)) ? ids : fresh(principal);
    },
    async scoped(principal, query) {
      const ids = cached(principal);
      if (!ids) return query(await fresh(principal));
      try {
        return await query(ids);
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
        return query(await fresh(principal));
      }
    },
    forget: (principal) => void cache.delete(principal.id),
  };
}
