import {
  DomainError,
  uuidv7,
  type ClaimResult,
  type ContentTransfer,
  type ContentView,
  type InstantBody,
  type InstantClaimView,
  type Principal,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { findRecipe } from '../recipes/recipe-rows.ts';

export interface ClaimInstantDeps {
  fork: () => EntityManager;
  schema: string;
  /** The orchestrator's one-transaction claim (item, debit, transfer of the generation). */
  claim: (req: {
    principal: Principal;
    accountId: string;
    recipeId: string;
    cost: number;
    claimKey: string;
  }) => Promise<ClaimResult>;
  /** The repurposer hands the item's clips to the caller. */
  transfer: (req: ContentTransfer) => Promise<ContentView[]>;
  /** Asks for a refill (coalesced, in the background). */
  kick: () => void;
  log: Logger;
}

/**
 * `POST /instant`: the recipe's cost is looked up here (unknown: 404; inactive: 422), the claim
 * itself happens in the orchestrator's single transaction, and the content is handed over at once
 * so the answer carries it. If the repurposer cannot be reached the claim still stands (the
 * orchestrator's claimed fact hands the content over when it can); the answer then lists none.
 */
export function createClaimInstant(deps: ClaimInstantDeps) {
  return async function claimInstant(req: {
    principal: Principal;
    body: InstantBody;
    idempotencyKey?: string;
  }): Promise<InstantClaimView> {
    const recipe = await findRecipe(deps.fork(), deps.schema, req.body.recipeId);
    if (!recipe) throw new DomainError('NOT_FOUND', `recipe ${req.body.recipeId} not found`);
    if (!recipe.active)
      throw new DomainError('UNPROCESSABLE', `recipe ${req.body.recipeId} is not active`, { field: 'body/recipeId' });
    const { mediaRetentionDays, ...result } = await deps.claim({
      principal: req.principal,
      accountId: req.body.accountId,
      recipeId: recipe.id,
      cost: recipe.credit_cost,
      claimKey: req.idempotencyKey ?? uuidv7(),
    });
    let content: ContentView[] = [];
    try {
      content = await deps.transfer({
        generationId: result.generation.id,
        taskIds: result.generation.taskIds,
        accountId: result.accountId,
        ownerId: req.principal.id,
        mediaRetentionDays,
      });
    } catch (err) {
      deps.log.warn(
        { err: String(err), claimId: result.claimId },
        'claimed content not handed over yet; the claimed fact will do it',
      );
    }
    if (!result.replayed) deps.kick();
    return { ...result, content };
  };
}
