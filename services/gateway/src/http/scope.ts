import { orchestratorCommands, type Principal } from '@reelforge/contracts';
import type { Forward } from './forward.ts';

/** The accounts the caller owns (from their owner): the repurposer scopes task and content queries by them. */
export async function ownedAccountIds(forward: Forward, principal: Principal): Promise<string[]> {
  return (await forward(orchestratorCommands.listAccounts, { principal })).items.map((a) => a.id);
}
