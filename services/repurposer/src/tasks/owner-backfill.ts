import type { EntityManager } from '@reelforge/persistence';

/**
 * Gives an account's ownerless rows (from before owner scoping) their owner, learned from a render
 * job of that account: accounts are never transferred, so one job tells the owner of all of them.
 * SKIP LOCKED: a row another transaction is adopting right now is left to it (same owner), so two
 * jobs of one account never wait on or deadlock with each other here. Once adopted, the partial
 * index is empty for the account and this costs one index probe.
 */
export async function adoptOwnerlessRows(
  em: EntityManager,
  quotedSchema: string,
  accountId: string,
  ownerId: string,
): Promise<void> {
  for (const table of ['tasks', 'generated_content']) {
    await em.execute(
      `update ${quotedSchema}.${table} set owner_id = ? where id in (select id from ${quotedSchema}.${table} where account_id = ? and owner_id is null for update skip locked)`,
      [ownerId, accountId],
    );
  }
}
