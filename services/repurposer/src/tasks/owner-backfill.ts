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

/**
 * The same adoption for a batch of jobs, as one CTE step per table: `jobs` names a CTE with the
 * jobs' `account_id` and `owner_id` columns (one owner per account, so any of its jobs tells it).
 */
export const batchAdoptionSteps = (quotedSchema: string, jobs: string): string =>
  ADOPTED_TABLES.map(
    (t) => `, adopt_${t} as (
       update ${quotedSchema}.${t} r set owner_id = o.owner_id
         from (select distinct on (account_id) account_id, owner_id from ${jobs} where owner_id is not null) o
        where r.account_id = o.account_id
          and r.id in (select id from ${quotedSchema}.${t} where owner_id is null and account_id in (select account_id from ${jobs}) for update skip locked)
     )`,
  ).join('');

export async function adoptOwnerlessRows(
  em: EntityManager,
  quotedSchema: string,
  accountId: string,
  ownerId: string,
): Promise<void> {
  for (const table of ADOPTED_TABLES) await em.execute(adoptionSql(quotedSchema, table), [ownerId, accountId]);
}
