import {
  DomainError,
  UUID_PATTERN,
  requireOperator,
  type CreditsView,
  type GrantCreditsBody,
  type Principal,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { applyCredit, toTransactionView, type CreditRow } from './credit-ledger.ts';

const UUID = new RegExp(UUID_PATTERN);

/** The credits of an account: its owner reads them, an operator grants them. */
export function createCreditCommands(deps: { fork: () => EntityManager; schema: string }) {
  const s = `"${deps.schema}"`;
  return {
    get: async (req: {
      principal: Principal;
      accountId: string;
      limit?: number;
      cursor?: string;
    }): Promise<CreditsView> => {
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const em = deps.fork();
      await findOwnedAccount(em, req.principal, req.accountId);
      const limit = req.limit ?? 20;
      // Balance and page in one snapshot, so the page's newest balanceAfter is the balance shown.
      return em.transactional(
        async (tx) => {
          const [account] = await tx.execute<{ credit_balance: string; credit_overdraft: boolean }[]>(
            `select credit_balance, credit_overdraft from ${s}.accounts where id = ?`,
            [req.accountId],
          );
          const rows = await tx.execute<CreditRow[]>(
            `select * from ${s}.credit_transactions where account_id = ? ${req.cursor ? 'and id < ?' : ''} order by id desc limit ?`,
            req.cursor ? [req.accountId, req.cursor, limit + 1] : [req.accountId, limit + 1],
          );
          const page = rows.slice(0, limit);
          return {
            accountId: req.accountId,
            balance: Number(account!.credit_balance),
            overdraftAllowed: account!.credit_overdraft,
            transactions: page.map(toTransactionView),
            nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
          };
        },
        { isolationLevel: 'repeatable read' },
      );
    },
    /** An operator's grant to any account; the request's idempotency key (if any) makes a replay grant once. */
    grant: async (req: {
      principal: Principal;
      accountId: string;
      body: GrantCreditsBody;
      idempotencyKey?: string;
    }) => {
      requireOperator(req.principal, 'granting credits');
      return deps.fork().transactional(async (tx) => {
        const [account] = await tx.execute<{ id: string }[]>(`select id from ${s}.accounts where id = ?`, [
          req.accountId,
        ]);
        if (!account) throw new DomainError('NOT_FOUND', `account ${req.accountId} not found`);
        const { transaction, balance } = await applyCredit(tx, deps.schema, {
          accountId: req.accountId,
          amount: req.body.amount,
          reason: 'grant',
          reference: req.idempotencyKey ?? null,
          note: req.body.note ?? null,
        });
        return { transaction, balance };
      });
    },
  };
}
