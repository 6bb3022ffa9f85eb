import { makeEnvelope, subjects, type BacklogItemClaimed, type BacklogItemTransferred } from '@reelforge/contracts';
import { claimInbox, enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { findRecipe } from '../recipes/recipe-rows.ts';
import { recordUsage } from './usage-stats.ts';

/**
 * Learns of a claim from the orchestrator's fact (so none is missed, whoever answered the client):
 * records it for demand and audit, counts its form's values in the usage statistics, and
 * announces `backlog.item.claimed` (for the notifier) through the outbox, all once per event.
 * Returns whether it was new.
 */
export async function recordClaim(
  em: EntityManager,
  event: BacklogItemTransferred,
  deps: { schema: string; service: string; consumer: string },
): Promise<boolean> {
  const s = `"${deps.schema}"`;
  const d = event.data;
  return em.transactional(async (tx) => {
    if (!(await claimInbox(tx, deps.schema, deps.consumer, event.id))) return false;
    const inserted = await tx.execute<{ claim_id: string }[]>(
      `insert into ${s}.claims (claim_id, recipe_id, account_id, generation_id, credits_charged, claimed_at) values (?, ?, ?, ?, ?, ?) on conflict (claim_id) do nothing returning claim_id`,
      [d.claimId, d.recipeId, d.accountId, d.generationId, d.creditsCharged, d.claimedAt],
    );
    if (inserted.length === 0) return false;
    const recipe = await findRecipe(tx, deps.schema, d.recipeId);
    const claimed: BacklogItemClaimed = makeEnvelope('backlog.item.claimed.v1', deps.service, d.accountId, {
      claimId: d.claimId,
      recipeId: d.recipeId,
      recipeName: recipe?.name ?? 'a recipe',
      generationId: d.generationId,
      accountId: d.accountId,
      ownerId: d.ownerId,
      creditsCharged: d.creditsCharged,
      claimedAt: d.claimedAt,
    });
    await enqueueOutbox(tx, deps.schema, subjects.backlogClaimed(d.accountId), claimed);
    // Last: every claim of a recipe updates its one usage row, so its lock is held only until the commit.
    await recordUsage(tx, deps.schema, d.recipeId, d.form, 'claims');
    return true;
  });
}
