import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type CreditsView } from '@reelforge/contracts';
import { applyCredit } from '@reelforge/content-orchestrator/testing';
import { apiClient } from '../support/api-client.ts';
import { newTenant } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

type Api = ReturnType<typeof apiClient>;

// Credits through the public API (grants by an operator, the owner's statement) and the ledger's
// rule under concurrency: the balance never goes below zero without overdraft, a reference moves
// it once, and the ledger always sums to the balance.
describe('credits', () => {
  let stack: Stack;
  let ops: Api;

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false });
    ops = apiClient(stack.gatewayUrl, await stack.bearer('credits-ops', ['operator']));
  });
  afterAll(() => stack?.stop());

  const grant = (accountId: string, amount: number, key?: string, client: Api = ops) =>
    client.call(`/api/v1/accounts/${accountId}/credits/grants`, {
      method: 'POST',
      body: JSON.stringify({ amount, note: 'welcome' }),
      headers: key ? { 'idempotency-key': key } : {},
    });
  const statement = async (api: Api, accountId: string, query = '') => {
    const res = await api.call(`/api/v1/accounts/${accountId}/credits${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as CreditsView;
  };
  const ledgerSum = async (accountId: string) =>
    Number(
      (
        await stack.sql<{ sum: string | null }>(
          'orchestrator',
          'select sum(amount) as sum from $schema.credit_transactions where account_id = ?',
          [accountId],
        )
      )[0]!.sum ?? 0,
    );

  it('an operator grants, once per key; the owner reads a statement that sums to the balance; nobody else can', async () => {
    const { api, account } = await newTenant(stack, 'credits-owner', []);
    expect(await statement(api, account.id)).toMatchObject({
      balance: 0,
      overdraftAllowed: false,
      transactions: [],
      nextCursor: null,
    });

    const first = await grant(account.id, 100, 'grant-1');
    expect(first.status).toBe(201);
    const granted = (await first.json()) as { transaction: { id: string }; balance: number };
    expect(granted).toMatchObject({
      balance: 100,
      transaction: { amount: 100, balanceAfter: 100, reason: 'grant', reference: 'grant-1', note: 'welcome' },
    });
    const replay = (await (await grant(account.id, 100, 'grant-1')).json()) as { transaction: { id: string } };
    expect(replay.transaction.id).toBe(granted.transaction.id);
    expect((await grant(account.id, 25)).status).toBe(201);

    const mine = await statement(api, account.id);
    expect(mine.balance).toBe(125);
    expect(mine.transactions.map((t) => [t.amount, t.balanceAfter])).toEqual([
      [25, 125],
      [100, 100],
    ]);
    expect(await ledgerSum(account.id)).toBe(125);
    const page = await statement(api, account.id, '?limit=1');
    expect(page.transactions).toHaveLength(1);
    expect((await statement(api, account.id, `?limit=1&cursor=${page.nextCursor}`)).transactions[0]!.amount).toBe(100);

    const stranger = apiClient(stack.gatewayUrl, await stack.bearer('credits-stranger'));
    expect((await stranger.call(`/api/v1/accounts/${account.id}/credits`)).status).toBe(404);
    expect((await grant(account.id, 1_000, undefined, api)).status).toBe(403); // the owner cannot grant itself credits
    expect((await grant('0190a0c0-0000-7000-8000-000000000001', 5)).status).toBe(404);
    expect((await grant(account.id, 0)).status).toBe(400);
  });

  it('concurrent grants and debits keep the ledger summing to the balance and never overdraw', async () => {
    const { api, account } = await newTenant(stack, 'credits-race', []);
    const amounts = Array.from({ length: 40 }, (_, i) => 1 + ((i * 7) % 13));
    await Promise.all(amounts.map((a, i) => grant(account.id, a, `race-${i}`)));
    const granted = amounts.reduce((a, b) => a + b, 0);
    expect((await statement(api, account.id)).balance).toBe(granted);

    // 2× more debits of 10 than the balance allows, at once, through the ledger the claim will use.
    const orm = stack.orchestrator!.platform.orm;
    const schema = stack.orchestrator!.config.DB_SCHEMA;
    const debits = Math.ceil((granted / 10) * 2);
    const outcomes = await Promise.allSettled(
      Array.from({ length: debits }, (_, i) =>
        orm.em.fork().transactional((tx) =>
          applyCredit(tx, schema, {
            accountId: account.id,
            amount: -10,
            reason: 'instant_claim',
            reference: `claim-${i}`,
          }),
        ),
      ),
    );
    const paid = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(paid).toBe(Math.floor(granted / 10));
    for (const o of outcomes)
      if (o.status === 'rejected') expect((o.reason as DomainError).code).toBe('PAYMENT_REQUIRED');
    const after = await statement(api, account.id, '?limit=100');
    expect(after.balance).toBe(granted - 10 * paid);
    expect(after.balance).toBeGreaterThanOrEqual(0);
    expect(await ledgerSum(account.id)).toBe(after.balance);
    // The debits were one serial history: their balances after are exactly granted − 10, − 20, … − 10 × paid.
    const debitBalances = after.transactions
      .filter((t) => t.reason === 'instant_claim')
      .map((t) => t.balanceAfter)
      .sort((a, b) => b - a);
    expect(debitBalances).toEqual(Array.from({ length: paid }, (_, k) => granted - 10 * (k + 1)));

    // The same reference again moves nothing; a debit past the balance says what is missing. Which
    // debits won the race is up to the database: replay one that was paid.
    const paidRef = `claim-${outcomes.findIndex((o) => o.status === 'fulfilled')}`;
    const again = await orm.em
      .fork()
      .transactional((tx) =>
        applyCredit(tx, schema, { accountId: account.id, amount: -10, reason: 'instant_claim', reference: paidRef }),
      );
    expect(again.replayed).toBe(true);
    const refused = await orm.em
      .fork()
      .transactional((tx) =>
        applyCredit(tx, schema, {
          accountId: account.id,
          amount: -1_000_000,
          reason: 'instant_claim',
          reference: 'too-much',
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).details).toEqual({ required: 1_000_000, available: after.balance });
    expect(await ledgerSum(account.id)).toBe(after.balance);
  });
});
