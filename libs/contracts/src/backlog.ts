import { Type, type Static } from '@sinclair/typebox';
import { command, ContentView, IdempotencyKey, Page, Principal, ResolvedGenerationBody } from './commands.ts';
import { envelopeOf } from './envelope.ts';
import { GenerationView } from './events.ts';
import { RecipeForm } from './recipes.ts';

const Uuid = Type.String({ format: 'uuid' });
const Time = Type.String({ format: 'date-time' });

/**
 * The system backlog account: finished items wait here, owned by a principal no token or API key
 * can be (the gateway refuses principal ids in the `reelforge:` namespace), so no user lists them
 * or receives their status events until a claim moves them to the user's account.
 */
export const BACKLOG_ACCOUNT_ID = '00000000-0000-7000-8000-00000000b10c';
export const BACKLOG_OWNER_ID = 'reelforge:backlog';
/** Principal ids in this namespace belong to the system, never to a caller. */
export const SYSTEM_PRINCIPAL_PREFIX = 'reelforge:';

// ── Library sources: the videos a `clips` recipe's backlog is cut from (operators add them) ──

const Tag = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' });

export const LibrarySourceView = Type.Object({
  id: Uuid,
  url: Type.String(),
  captionsUrl: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  /** How many backlog items were made from it (the least used is picked next). */
  uses: Type.Integer(),
  createdAt: Time,
});
export type LibrarySourceView = Static<typeof LibrarySourceView>;

export const AddLibrarySourceBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4096 }),
    captionsUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    tags: Type.Array(Tag, { minItems: 1, maxItems: 20, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type AddLibrarySourceBody = Static<typeof AddLibrarySourceBody>;

/** Where one backlog item's input comes from. */
export const BacklogItemSource = Type.Union([
  Type.Object({ kind: Type.Literal('library'), tag: Tag }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('article'), url: Type.String({ minLength: 1, maxLength: 4096 }) },
    { additionalProperties: false },
  ),
]);
export type BacklogItemSource = Static<typeof BacklogItemSource>;

export const BacklogStock = Type.Object({
  recipeId: Uuid,
  /** Finished items waiting to be claimed. */
  ready: Type.Integer(),
  /** Items still being made. */
  producing: Type.Integer(),
  /** Finished items too old to hand out (they count for nothing; refills replace them). */
  stale: Type.Integer(),
  oldestReadyAt: Type.Union([Time, Type.Null()]),
});
export type BacklogStock = Static<typeof BacklogStock>;

/** A claim as its owner (the orchestrator) records it. */
export const ClaimResult = Type.Object({
  claimId: Uuid,
  recipeId: Uuid,
  accountId: Uuid,
  generation: GenerationView,
  /** The form the item was made with (variable → value). */
  form: RecipeForm,
  creditsCharged: Type.Integer(),
  balance: Type.Integer(),
  claimedAt: Time,
  /** True when this answers a replay of an earlier claim (same Idempotency-Key). */
  replayed: Type.Boolean(),
  /** The claiming account's clip retention (its view's `mediaRetentionDays`): the clips take it on. */
  mediaRetentionDays: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});
export type ClaimResult = Static<typeof ClaimResult>;

/** The orchestrator's side of the backlog: its items are generations of the backlog account. */
export const orchestratorBacklogCommands = {
  addLibrarySource: command(
    'cmd.orchestrator.library.add',
    Type.Object({ principal: Principal, body: AddLibrarySourceBody }),
    LibrarySourceView,
  ),
  listLibrarySources: command(
    'cmd.orchestrator.library.list',
    Type.Object({ principal: Principal, tag: Type.Optional(Tag), ...Page }),
    Type.Object({ items: Type.Array(LibrarySourceView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  /** Ready and in-progress items per recipe, and how many backlog generations run in all. */
  stock: command(
    'cmd.orchestrator.backlog.stock',
    Type.Object({ recipeIds: Type.Array(Uuid, { maxItems: 10_000 }), freshAfter: Type.Optional(Time) }),
    Type.Object({ recipes: Type.Array(BacklogStock), producingTotal: Type.Integer() }),
  ),
  /** Starts one backlog item: a generation of the backlog account (no account lock: the keeper caps them). */
  produce: command(
    'cmd.orchestrator.backlog.produce',
    Type.Object({
      recipeId: Uuid,
      /** Makes the start happen once: a replay returns the same generation. */
      itemKey: IdempotencyKey,
      generation: ResolvedGenerationBody,
      source: BacklogItemSource,
      form: RecipeForm,
    }),
    GenerationView,
  ),
  /**
   * Moves the oldest ready item of a recipe to the caller's account and debits its cost, in one
   * transaction. NOT_FOUND (details.fallbackToModal) when none is ready, PAYMENT_REQUIRED
   * (required, available) when the account cannot pay.
   */
  claim: command(
    'cmd.orchestrator.backlog.claim',
    Type.Object({
      principal: Principal,
      accountId: Uuid,
      recipeId: Uuid,
      cost: Type.Integer({ minimum: 0 }),
      claimKey: IdempotencyKey,
      freshAfter: Type.Optional(Time),
    }),
    ClaimResult,
  ),
} as const;

/** The repurposer hands a claimed item's tasks and clips to their new owner. */
export const ContentTransfer = Type.Object({
  generationId: Uuid,
  taskIds: Type.Array(Uuid, { maxItems: 1000 }),
  accountId: Uuid,
  ownerId: Type.String({ minLength: 1, maxLength: 200 }),
  /** The new account's clip retention: a claimed clip is kept as if it were made at the claim. */
  mediaRetentionDays: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});
export type ContentTransfer = Static<typeof ContentTransfer>;

export const transferContentCommand = command(
  'cmd.repurposer.content.transfer',
  ContentTransfer,
  Type.Object({ items: Type.Array(ContentView) }),
);

/** Fact: a backlog item changed hands (orchestrator, CONTENT stream, through its outbox). */
export const BacklogItemTransferred = envelopeOf(
  'content.backlog.claimed.v1',
  Type.Object({
    ...ContentTransfer.properties,
    claimId: Uuid,
    recipeId: Uuid,
    form: RecipeForm,
    creditsCharged: Type.Integer(),
    claimedAt: Time,
  }),
);
export type BacklogItemTransferred = Static<typeof BacklogItemTransferred>;

/** Fact: a user claimed an item (backlog-keeper, BACKLOG stream): the notifier tells the owner. */
export const BacklogItemClaimed = envelopeOf(
  'backlog.item.claimed.v1',
  Type.Object({
    claimId: Uuid,
    recipeId: Uuid,
    recipeName: Type.String(),
    generationId: Uuid,
    accountId: Uuid,
    ownerId: Type.String({ minLength: 1, maxLength: 200 }),
    creditsCharged: Type.Integer(),
    claimedAt: Time,
  }),
);
export type BacklogItemClaimed = Static<typeof BacklogItemClaimed>;

// ── The public side (backlog-keeper) ──

export const BacklogView = Type.Object({
  recipeId: Uuid,
  ready: Type.Integer(),
  producing: Type.Integer(),
  /** Items older than BACKLOG_ITEM_MAX_AGE: never handed out, replaced by refills. */
  stale: Type.Integer(),
  /** The level maintenance keeps: the recipe's minimum, raised to the next hour's expected claims (bounded). */
  minimum: Type.Integer(),
  configuredMinimum: Type.Integer(),
  claimsLastHour: Type.Integer(),
  oldestReadyAt: Type.Union([Time, Type.Null()]),
});
export type BacklogView = Static<typeof BacklogView>;

export const InstantBody = Type.Object({ recipeId: Uuid, accountId: Uuid }, { additionalProperties: false });
export type InstantBody = Static<typeof InstantBody>;

export const InstantClaimView = Type.Object({
  ...Type.Omit(ClaimResult, ['mediaRetentionDays']).properties,
  /** The item's clips or video, now the caller's (empty only while the repurposer catches up). */
  content: Type.Array(ContentView),
});
export type InstantClaimView = Static<typeof InstantClaimView>;

export const MaintenanceSummary = Type.Object({
  recipes: Type.Array(
    Type.Object({
      recipeId: Uuid,
      ready: Type.Integer(),
      producing: Type.Integer(),
      minimum: Type.Integer(),
      started: Type.Integer(),
      failed: Type.Integer(),
    }),
  ),
  started: Type.Integer(),
  /** Items that were missing but waited for a free production slot (BACKLOG_MAX_PRODUCING). */
  deferred: Type.Integer(),
});
export type MaintenanceSummary = Static<typeof MaintenanceSummary>;

export const backlogCommands = {
  getBacklog: command(
    'cmd.backlog.recipes.backlog',
    Type.Object({ principal: Principal, recipeId: Uuid }),
    BacklogView,
  ),
  claimInstant: command(
    'cmd.backlog.instant.claim',
    Type.Object({ principal: Principal, body: InstantBody, idempotencyKey: Type.Optional(IdempotencyKey) }),
    InstantClaimView,
  ),
  /** The scheduler's `backlog_maintenance` job (and each claim) refills the pools. */
  maintain: command('cmd.backlog.maintain', Type.Object({ recipeId: Type.Optional(Uuid) }), MaintenanceSummary),
} as const;
