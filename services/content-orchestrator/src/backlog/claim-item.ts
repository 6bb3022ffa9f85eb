import {
  BACKLOG_ACCOUNT_ID,
  DomainError,
  makeEnvelope,
  subjects,
  uuidv7,
  type BacklogItemTransferred,
  type ClaimResult,
  type Principal,
  type RecipeForm,
} from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { debitNew } from '../credits/credit-ledger.ts';
import { loadGenerationView, toGenerationView, type GenerationRow } from '../generations/generation-view.ts';

export interface ClaimRequest {
  principal: Principal;
  accountId: string;
  recipeId: string;
  cost: number;
  /** The client's Idempotency-Key (or a fresh id): the same key again answers with the first claim. */
  claimKey: string;
  /** Items finished before this are too old to hand out. */
  freshAfter?: string;
}

interface ClaimRow {
  id: string;
  recipe_id: string;
  generation_id: string;
  credits_charged: string | number;
  created_at: Date | string;
}

/**
 * The instant claim, in ONE transaction of the one service that owns generations, accounts and
 * credits (docs/architecture.md, "Backlog decisions"): the oldest ready item of the recipe is
 * locked (`FOR UPDATE SKIP LOCKED`: concurrent claims take different items and never wait on each
 * other), the claim is recorded (unique per account and key), the cost debited with its ledger row,
 * the generation moved to the caller's account, and the facts put in the outbox. A crash anywhere
 * before the commit leaves nothing; after it, everything — there is no state in between. Five
 * statements: the account with any earlier claim of this key, the item locked + claim recorded +
 * item moved, the debit with its ledger row, the two facts.
 */
export function createClaimItem(deps: {
  fork: () => EntityManager;
  schema: string;
  service: string;
  afterCommit: () => void;
  clock?: () => Date;
}) {
  const s = `"${deps.schema}"`;
  return async function claimItem(req: ClaimRequest): Promise<ClaimResult> {
    const result = await deps.fork().transactional(async (em) => {
      // The caller's account and an earlier claim with this key, in one read.
      const [account] = await em.execute<{ media_retention_days: number | null; prior: string | null }[]>(
        `select a.media_retention_days, c.id as prior from ${s}.accounts a left join ${s}.backlog_claims c on c.account_id = a.id and c.claim_key = ? where a.id = ? and a.owner_id = ?`,
        [req.claimKey, req.accountId, req.principal.id],
      );
      if (!account) throw new DomainError('NOT_FOUND', `account ${req.accountId} not found`);
      const mediaRetentionDays = account.media_retention_days;
      if (account.prior) return replay(em, req, (await findClaim(em, req))!, mediaRetentionDays);
      const claimId = uuidv7();
      // Lock the oldest fresh item, record the claim and move the item, in one statement.
      const [moved] = await em.execute<
        (GenerationRow & { updated_at: Date | string; backlog_form: RecipeForm | null; task_ids: string[] })[]
      >(
        `with item as (
           select id from ${s}.generations where account_id = ? and recipe_id = ? and status = 'completed' and finished_at >= ?::timestamptz
            order by finished_at, id limit 1 for update skip locked),
         claim as (
           insert into ${s}.backlog_claims (id, account_id, claim_key, recipe_id, generation_id, credits_charged) select ?, ?, ?, ?, id, ? from item
           on conflict (account_id, claim_key) do nothing returning generation_id)
         update ${s}.generations g set account_id = ?, updated_at = now() from claim where g.id = claim.generation_id
         returning g.*, (select coalesce(array_agg(t.task_id order by t.task_id), '{}') from ${s}.generation_tasks t where t.generation_id = g.id) as task_ids`,
        [
          BACKLOG_ACCOUNT_ID,
          req.recipeId,
          req.freshAfter ?? '-infinity',
          claimId,
          req.accountId,
          req.claimKey,
          req.recipeId,
          req.cost,
          req.accountId,
        ],
      );
      if (!moved) {
        // A concurrent twin with the same key committed first (our insert waited for it): answer with its claim.
        const twin = await findClaim(em, req);
        if (twin) return replay(em, req, twin, mediaRetentionDays);
        throw new DomainError(
          'NOT_FOUND',
          'no instant item is ready for this recipe; start a normal generation instead',
          { fallbackToModal: true, recipeId: req.recipeId },
        );
      }
      const { balance } =
        req.cost > 0
          ? await debitNew(em, deps.schema, {
              accountId: req.accountId,
              amount: req.cost,
              reason: 'instant_claim',
              reference: claimId,
              note: `instant claim of generation ${moved.id}`,
            })
          : { balance: await balanceOf(em, req.accountId) };
      const generation = toGenerationView(moved, moved.task_ids);
      const claimedAt = new Date(moved.updated_at).toISOString();
      const form = moved.backlog_form ?? {};
      await enqueueOutbox(
        em,
        deps.schema,
        subjects.generation(req.accountId),
        makeEnvelope('content.generation.updated.v1', deps.service, req.accountId, {
          ...generation,
          ownerId: req.principal.id,
        }),
      );
      const fact: BacklogItemTransferred = makeEnvelope('content.backlog.claimed.v1', deps.service, req.accountId, {
        generationId: moved.id,
        taskIds: generation.taskIds,
        accountId: req.accountId,
        ownerId: req.principal.id,
        mediaRetentionDays,
        claimId,
        recipeId: req.recipeId,
        form,
        creditsCharged: req.cost,
        claimedAt,
      });
      await enqueueOutbox(em, deps.schema, subjects.backlogTransferred(req.accountId), fact);
      return {
        claimId,
        recipeId: req.recipeId,
        accountId: req.accountId,
        generation,
        form,
        creditsCharged: req.cost,
        balance,
        claimedAt,
        replayed: false,
        mediaRetentionDays,
      };
    });
    if (!result.replayed) deps.afterCommit();
    return result;
  };

  async function findClaim(em: EntityManager, req: ClaimRequest): Promise<ClaimRow | undefined> {
    const [row] = await em.execute<ClaimRow[]>(
      `select id, recipe_id, generation_id, credits_charged, created_at from ${s}.backlog_claims where account_id = ? and claim_key = ?`,
      [req.accountId, req.claimKey],
    );
    return row;
  }

  async function balanceOf(em: EntityManager, accountId: string): Promise<number> {
    const [row] = await em.execute<{ credit_balance: string }[]>(
      `select credit_balance from ${s}.accounts where id = ?`,
      [accountId],
    );
    return Number(row?.credit_balance ?? 0);
  }

  /** The first claim with this key, as it answered (today's balance). */
  async function replay(
    em: EntityManager,
    req: ClaimRequest,
    prior: ClaimRow,
    mediaRetentionDays: number | null,
  ): Promise<ClaimResult> {
    if (prior.recipe_id !== req.recipeId)
      throw new DomainError('UNPROCESSABLE', 'this Idempotency-Key was used to claim from another recipe');
    const generation = (await loadGenerationView(em, deps.schema, prior.generation_id))!;
    const [form] = await em.execute<{ backlog_form: RecipeForm | null }[]>(
      `select backlog_form from ${s}.generations where id = ?`,
      [prior.generation_id],
    );
    return {
      claimId: prior.id,
      recipeId: prior.recipe_id,
      accountId: req.accountId,
      generation,
      form: form?.backlog_form ?? {},
      creditsCharged: Number(prior.credits_charged),
      balance: await balanceOf(em, req.accountId),
      claimedAt: new Date(prior.created_at).toISOString(),
      replayed: true,
      mediaRetentionDays,
    };
  }
}
