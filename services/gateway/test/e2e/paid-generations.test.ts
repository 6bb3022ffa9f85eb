import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { CreditsView } from '@reelforge/contracts';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

// With GENERATION_CREDIT_COST set, a generation is paid at start for the videos it really starts
// (402 and nothing started when the account cannot pay), and a video that fails is refunded.
describe('paid generations', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack({ env: { GENERATION_CREDIT_COST: '2' } });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'good.mp4'), { seconds: 2 });
    const corrupt = join(stack.mediaRoot, 'corrupt.mp4');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('not a video at all '), randomBytes(4096)]));
    files = await serveFiles({ 'good.mp4': video, 'corrupt.mp4': corrupt });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('refuses an unpaid start whole, debits a paid one per video, refunds the video that failed', async () => {
    const { api, account } = await newTenant(stack, 'payer', [files.url('good.mp4'), files.url('corrupt.mp4')]);
    const ops = apiClient(stack.gatewayUrl, await stack.bearer('payer-ops', ['operator']));
    const statement = async () =>
      (await (await api.call(`/api/v1/accounts/${account.id}/credits`)).json()) as CreditsView;
    const body = { type: 'shorts', count: 2, options: { width: 180, preset: 'ultrafast' } };

    const unpaid = await api.startGeneration(account.id, body);
    expect(unpaid.status).toBe(402);
    expect(((await unpaid.json()) as { error: { details: unknown } }).error.details).toEqual({
      required: 4,
      available: 0,
    });
    // Nothing started: no generation, no lock, both sources still available.
    expect(
      await stack.sql('orchestrator', 'select 1 from $schema.generations where account_id = ?', [account.id]),
    ).toEqual([]);
    expect(
      await stack.sql('orchestrator', 'select 1 from $schema.generation_locks where account_id = ?', [account.id]),
    ).toEqual([]);
    expect(
      (
        await stack.sql<{ state: string }>(
          'orchestrator',
          'select state from $schema.source_videos where account_id = ?',
          [account.id],
        )
      ).map((r) => r.state),
    ).toEqual(['available', 'available']);

    expect((await ops.post(`/api/v1/accounts/${account.id}/credits/grants`, { amount: 5 })).status).toBe(201);
    const paid = await api.startGeneration(account.id, body);
    expect(paid.status).toBe(202);
    const { generation } = (await paid.json()) as StartedGeneration;
    expect((await statement()).balance).toBe(1);

    const done = await eventually(
      'the generation to finish',
      async () => {
        const g = (await (await api.call(`/api/v1/generations/${generation.id}`)).json()) as { status: string };
        return g.status === 'partially_failed' ? g : undefined;
      },
      60_000,
      100,
    );
    expect(done.status).toBe('partially_failed');
    const after = await eventually('the refund', async () => {
      const c = await statement();
      return c.transactions.some((t) => t.reason === 'refund') ? c : undefined;
    });
    expect(after.balance).toBe(3);
    expect(after.transactions.map((t) => [t.reason, t.amount])).toEqual([
      ['refund', 2],
      ['generation', -4],
      ['grant', 5],
    ]);
    expect(after.transactions.reduce((a, t) => a + t.amount, 0)).toBe(after.balance);
  });
});
