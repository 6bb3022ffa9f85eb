import { Type, type Static } from '@sinclair/typebox';
import { command, Page, Principal } from './commands.ts';

const Uuid = Type.String({ format: 'uuid' });

/** Why a balance moved. A debit is negative, a grant or refund positive. */
const CREDIT_REASONS = ['grant', 'instant_claim', 'generation', 'refund'] as const;
export type CreditReason = (typeof CREDIT_REASONS)[number];

export const CreditTransactionView = Type.Object({
  id: Uuid,
  amount: Type.Integer(),
  /** The balance right after this transaction: the ledger reads like a bank statement. */
  balanceAfter: Type.Integer(),
  reason: Type.Union(CREDIT_REASONS.map((r) => Type.Literal(r))),
  /** What it was for (a claim, a generation) or the granting request's key; unique per account and reason. */
  reference: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type CreditTransactionView = Static<typeof CreditTransactionView>;

export const CreditsView = Type.Object({
  accountId: Uuid,
  balance: Type.Integer(),
  /** Whether the balance may go below zero (off unless an operator allows it). */
  overdraftAllowed: Type.Boolean(),
  /** Newest first. */
  transactions: Type.Array(CreditTransactionView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type CreditsView = Static<typeof CreditsView>;

export const GrantCreditsBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type GrantCreditsBody = Static<typeof GrantCreditsBody>;

export const creditCommands = {
  /** The account's balance and ledger, for its owner. */
  getCredits: command(
    'cmd.orchestrator.credits.get',
    Type.Object({ principal: Principal, accountId: Uuid, ...Page }),
    CreditsView,
  ),
  /** An operator adds credits to any account; a replay of the same key grants once. */
  grantCredits: command(
    'cmd.orchestrator.credits.grant',
    Type.Object({
      principal: Principal,
      accountId: Uuid,
      body: GrantCreditsBody,
      idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    }),
    Type.Object({ transaction: CreditTransactionView, balance: Type.Integer() }),
  ),
} as const;
