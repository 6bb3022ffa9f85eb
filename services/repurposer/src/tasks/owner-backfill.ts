import type { EntityManager } from '@reelforge/persistence';

/**
 * Gives an account's ownerless rows (from before owner scoping) their owner, learned from a render
 * job of that account: accounts are never transferred, so one job tells the owner of all of them.
 * SKIP LOCKED: a row another transaction is adopting right now is left to it (same owner), so two
 * jobs of one account never wait on or deadlock with each other here. Once adopted, the partial
 * index is empty for the account and this costs one index probe.
 */
export const ADOPTED_TABLES = ['tasks', 'generated_content'] as const;

/** The adoption of one table's ownerless rows as a statement (or a CTE step); parameters: owner id, account id. */
const adoptionSql = (quotedSchema: string, table: (typeof ADOPTED_TABLES)[number]) =>
  `update ${quotedSchema}.${table} set owner_id = ? where id in (select id from ${quotedSchema}.${table} where account_id = ? and owner_id is null for update skip locked)`;

export async function adoptOwnerlessRows(
  em: EntityManager,
  quotedSchema: string,
  accountId: string,
  ownerId: string,
): Promise<void> {
  for (const table of ADOPTED_TABLES) await em.execute(adoptionSql(quotedSchema, table), [ownerId, accountId]);
}
