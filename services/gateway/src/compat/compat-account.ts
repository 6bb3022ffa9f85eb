import { orchestratorCommands, type Principal } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';

/**
 * The systems Reelforge replaces have no accounts: their jobs land in the caller's oldest account,
 * which the first job creates when the caller has none (named after the surface).
 */
export function createCompatAccounts(forward: Forward) {
  const oldest = async (principal: Principal) => {
    const { items } = await forward(orchestratorCommands.listAccounts, { principal });
    return [...items].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))[0];
  };
  return {
    find: async (principal: Principal) => (await oldest(principal))?.id,
    findOrCreate: async (principal: Principal, name: string) => {
      const found = await oldest(principal);
      if (found) return found;
      await forward(orchestratorCommands.createAccount, { principal, body: { name } });
      // Read back rather than use the answer: two first requests at once both settle on the oldest.
      return (await oldest(principal))!;
    },
  };
}

export type CompatAccounts = ReturnType<typeof createCompatAccounts>;
