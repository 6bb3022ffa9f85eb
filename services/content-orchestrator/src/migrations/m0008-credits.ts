import { Migration } from '@mikro-orm/migrations';

/**
 * Credits live with accounts: the balance on the account row, and a ledger whose every row records
 * the balance after it (so the ledger always sums to the balance, and reads like a statement).
 */
export class M0008Credits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table accounts add column credit_balance bigint not null default 0`);
    this.addSql(`alter table accounts add column credit_overdraft boolean not null default false`);
    this.addSql(
      `alter table accounts add constraint accounts_credit_not_negative check (credit_overdraft or credit_balance >= 0)`,
    );
    this.addSql(`create table credit_transactions (
      id uuid primary key,
      account_id uuid not null references accounts (id),
      amount bigint not null check (amount <> 0),
      balance_after bigint not null,
      reason text not null check (reason in ('grant', 'instant_claim', 'generation', 'refund')),
      reference text null,
      note text null,
      created_at timestamptz not null default now()
    )`);
    // One transaction per account, reason and reference: a replayed grant or claim changes nothing.
    this.addSql(
      `create unique index credit_transactions_reference_idx on credit_transactions (account_id, reason, reference) where reference is not null`,
    );
    this.addSql(`create index credit_transactions_account_idx on credit_transactions (account_id, id desc)`);
  }
}
