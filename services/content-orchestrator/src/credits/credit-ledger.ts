import { DomainError, uuidv7, type CreditReason, type CreditTransactionView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

export interface CreditRow {
  id: string;
  amount: string | number;
  balance_after: string | number;
  reason: CreditReason;
  reference: string | null;
  note: string | null;
  created_at: Date | string;
}

export const toTransactionView = (r: CreditRow): CreditTransactionView => ({
  id: r.id,
  amount: Number(r.amount),
  balanceAfter: Number(r.balance_after),
  reason: r.reason,
  reference: r.reference,
  note: r.note,
  createdAt: new Date(r.created_at).toISOString(),
});

export interface CreditChange {
  accountId: string;
  /** Positive adds, negative debits. */
  amount: number;
  reason: CreditReason;
  /** Makes the change happen once: the same account, reason and reference again returns the first. */
  reference: string | null;
  note?: string | null;
}

/**
 * Moves an account's balance and writes its ledger row in the caller's transaction. The row is
 * inserted first (its unique reference makes a replay, even a concurrent one, find the first),
 * then the balance moves in one conditional UPDATE: a debit past zero on an account without
 * overdraft changes nothing and throws PAYMENT_REQUIRED with what was required and available
 * (the caller's transaction rolls the row back). Never read-modify-write: concurrent changes to
 * one account serialise on its row and each sees the other's result.
 */
export async function applyCredit(
  tx: EntityManager,
  schema: string,
  change: CreditChange,
): Promise<{ transaction: CreditTransactionView; balance: number; replayed: boolean }> {
  const s = `"${schema}"`;
  const id = uuidv7();
  const [inserted] = await tx.execute<{ id: string }[]>(
    `insert into ${s}.credit_transactions (id, account_id, amount, balance_after, reason, reference, note) values (?, ?, ?, 0, ?, ?, ?)
     on conflict (account_id, reason, reference) where reference is not null do nothing returning id`,
    [id, change.accountId, change.amount, change.reason, change.reference, change.note ?? null],
  );
  if (!inserted) {
    const [first] = await tx.execute<CreditRow[]>(
      `select * from ${s}.credit_transactions where account_id = ? and reason = ? and reference = ?`,
      [change.accountId, change.reason, change.reference],
    );
    const [account] = await tx.execute<{ credit_balance: string }[]>(
      `select credit_balance from ${s}.accounts where id = ?`,
      [change.accountId],
    );
    return { transaction: toTransactionView(first!), balance: Number(account?.credit_balance ?? 0), replayed: true };
  }
  const [moved] = await tx.execute<{ credit_balance: string }[]>(
    `update ${s}.accounts set credit_balance = credit_balance + ?, updated_at = now() where id = ? and (credit_overdraft or credit_balance + ? >= 0) returning credit_balance`,
    [change.amount, change.accountId, change.amount],
  );
  if (!moved) {
    const [account] = await tx.execute<{ credit_balance: string }[]>(
      `select credit_balance from ${s}.accounts where id = ?`,
      [change.accountId],
    );
    if (!account) throw new DomainError('NOT_FOUND', `account ${change.accountId} not found`);
    throw new DomainError(
      'PAYMENT_REQUIRED',
      `not enough credits: ${-change.amount} required, ${Number(account.credit_balance)} available`,
      { required: -change.amount, available: Number(account.credit_balance) },
    );
  }
  const balance = Number(moved.credit_balance);
  const [row] = await tx.execute<CreditRow[]>(
    `update ${s}.credit_transactions set balance_after = ? where id = ? returning *`,
    [balance, id],
  );
  return { transaction: toTransactionView(row!), balance, replayed: false };
}

/**
 * A debit whose reference is new by construction (a claim id made in this transaction): the same
 * rule as applyCredit — never below zero without overdraft, the ledger row carrying the balance
 * after it, concurrent changes serialised on the account row — in one statement instead of three,
 * since there is no earlier row to find. PAYMENT_REQUIRED (required, available) when it cannot pay.
 */
export async function debitNew(
  tx: EntityManager,
  schema: string,
  change: { accountId: string; amount: number; reason: CreditReason; reference: string; note: string },
): Promise<{ balance: number }> {
  const s = `"${schema}"`;
  const [row] = await tx.execute<{ balance_after: string }[]>(
    `with moved as (
       update ${s}.accounts set credit_balance = credit_balance - ?, updated_at = now() where id = ? and (credit_overdraft or credit_balance - ? >= 0) returning credit_balance)
     insert into ${s}.credit_transactions (id, account_id, amount, balance_after, reason, reference, note) select ?, ?, ?, credit_balance, ?, ?, ? from moved returning balance_after`,
    [
      change.amount,
      change.accountId,
      change.amount,
      uuidv7(),
      change.accountId,
      -change.amount,
      change.reason,
      change.reference,
      change.note,
    ],
  );
  if (row) return { balance: Number(row.balance_after) };
  const [account] = await tx.execute<{ credit_balance: string }[]>(
    `select credit_balance from ${s}.accounts where id = ?`,
    [change.accountId],
  );
  throw new DomainError(
    'PAYMENT_REQUIRED',
    `not enough credits: ${change.amount} required, ${Number(account?.credit_balance ?? 0)} available`,
    { required: change.amount, available: Number(account?.credit_balance ?? 0) },
  );
}
