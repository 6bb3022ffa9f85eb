import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  BACKLOG_ACCOUNT_ID,
  backlogCommands,
  uuidv7,
  type BacklogView,
  type CreditsView,
  type InstantClaimView,
  type RecipeView,
} from '@reelforge/contracts';
import { sendCommand } from '@reelforge/messaging';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

type Api = ReturnType<typeof apiClient>;

const recipeBody = (tag: string, minBacklog: number, creditCost: number) => ({
  name: `Quick takes ${tag}`,
  kind: 'clips',
  variables: { type: 'object', properties: { mood: { type: 'string', enum: ['calm', 'bold'], default: 'calm' } } },
  template: { options: { width: 180, preset: 'ultrafast', title: { text: '{{mood}} take' } } },
  sourcePool: { kind: 'library', tag },
  creditCost,
  minBacklog,
});

// The backlog and instant claim through the public API on the real services, NATS, PostgreSQL and
// ffmpeg: an operator's recipe fills its pool through the normal generation path (items owned by
// the system backlog account, invisible to users), a user claims one at once, pays once, and gets
// the clip; the pool refills.
describe('backlog and instant claim', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let ops: Api;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // 1,000 claims at once queue for a while on 2 busy cores: this file tests outcomes, not latency (the benchmark does).
    stack = await startStack({
      withBacklog: true,
      withNotifier: true,
      env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_PER_IP_PER_MINUTE: '1000000', COMMAND_TIMEOUT: '60s' },
    });
    receiver = await startWebhookReceiver();
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'library.mp4'), { seconds: 2 });
    files = await serveFiles({ 'library.mp4': video });
    ops = apiClient(stack.gatewayUrl, await stack.bearer('backlog-ops', ['operator']));
  });
  afterAll(async () => {
    await receiver?.close();
    await files?.close();
    await stack?.stop();
  });

  const backlogOf = async (api: Api, recipeId: string) =>
    (await (await api.call(`/api/v1/recipes/${recipeId}/backlog`)).json()) as BacklogView;
  const createRecipe = async (body: unknown) => {
    const res = await ops.post('/api/v1/recipes', body);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as RecipeView;
  };

  it('fills the pool unseen, then a claim hands the oldest item over, paid once, with its clip; the pool refills', async () => {
    const user = await newTenant(stack, 'claimer', []);
    const stranger = await newTenant(stack, 'stranger', []);
    // Only operators keep the library.
    expect(
      (await user.api.post('/api/v1/library/sources', { url: files.url('library.mp4'), tags: ['quick'] })).status,
    ).toBe(403);
    const added = await ops.post('/api/v1/library/sources', { url: files.url('library.mp4'), tags: ['quick'] });
    expect(added.status, await added.clone().text()).toBe(201);

    // Watching their own account while the pool fills: nothing of the backlog's may reach them.
    const early = await watchAccount(stack, user.bearer, user.account.id);
    const recipe = await createRecipe(recipeBody('quick', 2, 5));
    // Creating the recipe starts its pool: two items through the normal pipeline.
    const full = await eventually(
      'the pool to fill',
      async () => {
        const b = await backlogOf(user.api, recipe.id);
        return b.ready === 2 ? b : undefined;
      },
      90_000,
      200,
    );
    expect(full).toMatchObject({ ready: 2, producing: 0, minimum: 2, configuredMinimum: 2, claimsLastHour: 0 });
    // Operators see the same level on the keeper's /metrics (its health port).
    const scraped = await (await fetch(`http://127.0.0.1:${stack.backlog!.healthPort!}/metrics`)).text();
    const level = (name: string) =>
      new RegExp(`^${name}\\{[^}]*recipe="${recipe.id}"[^}]*\\} (\\d+)$`, 'm').exec(scraped)?.[1];
    expect([level('reelforge_backlog_ready_items'), level('reelforge_backlog_producing_items')]).toEqual(['2', '0']);
    const items = await stack.sql<{ id: string }>(
      'orchestrator',
      `select id from $schema.generations where recipe_id = ? order by finished_at, id`,
      [recipe.id],
    );
    expect(items).toHaveLength(2);
    const [oldest] = items;

    // Backlog items are nobody's: not listed, not readable, not subscribable by any user.
    expect(((await (await user.api.call('/api/v1/tasks')).json()) as { items: unknown[] }).items).toEqual([]);
    expect(((await (await user.api.call('/api/v1/content')).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await user.api.call(`/api/v1/generations/${oldest!.id}`)).status).toBe(404);
    expect((await user.api.call(`/api/v1/accounts/${BACKLOG_ACCOUNT_ID}`)).status).toBe(404);
    expect(
      ((await (await user.api.call('/api/v1/recipes')).json()) as { items: RecipeView[] }).items.find(
        (r) => r.id === recipe.id,
      )?.instantAvailable,
    ).toBe(true);
    const backlogTasks = (
      await stack.sql<{ task_id: string }>(
        'orchestrator',
        `select task_id from $schema.generation_tasks where generation_id = any(?::uuid[])`,
        [`{${items.map((i) => i.id).join(',')}}`],
      )
    ).map((r) => r.task_id);
    expect(backlogTasks).toHaveLength(2);
    early.send({ subscribe: oldest!.id });
    early.send({ subscribe: backlogTasks[0] });
    await early.waitFor('the refusal of the generation', (m) => m.type === 'error' && m.id === oldest!.id);
    await early.waitFor('the refusal of the task', (m) => m.type === 'error' && m.id === backlogTasks[0]);
    const leaked = early.messages.filter(
      (m) => [oldest!.id, items[1]!.id, ...backlogTasks].includes(String(m.job_id ?? m.id)) && m.type !== 'error',
    );
    expect(leaked).toEqual([]);
    early.close();

    // No credits yet: 402 with what is needed, and nothing moves.
    const poor = await user.api.post('/api/v1/instant', { recipeId: recipe.id, accountId: user.account.id });
    expect(poor.status).toBe(402);
    expect(((await poor.json()) as { error: { details: unknown } }).error.details).toEqual({
      required: 5,
      available: 0,
    });
    expect((await backlogOf(user.api, recipe.id)).ready).toBe(2);
    // Another tenant's account cannot be the target.
    expect(
      (await stranger.api.post('/api/v1/instant', { recipeId: recipe.id, accountId: user.account.id })).status,
    ).toBe(404);

    expect((await ops.post(`/api/v1/accounts/${user.account.id}/credits/grants`, { amount: 12 })).status).toBe(201);
    const hook = await user.api.post('/api/v1/webhooks', { url: receiver.url(), events: ['backlog.*'] });
    expect(hook.status, await hook.clone().text()).toBe(201);
    // The claimer keeps clips 3 days: a claimed clip is kept as if made at the claim.
    expect(
      (
        await user.api.call(`/api/v1/accounts/${user.account.id}`, {
          method: 'PATCH',
          body: JSON.stringify({ mediaRetentionDays: 3 }),
        })
      ).status,
    ).toBe(200);
    const ws = await watchAccount(stack, user.bearer, user.account.id);
    const claim = (body: unknown, key: string) =>
      user.api.call('/api/v1/instant', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'idempotency-key': key },
      });
    const res = await claim({ recipeId: recipe.id, accountId: user.account.id }, 'claim-1');
    expect(res.status, await res.clone().text()).toBe(200);
    const claimed = (await res.json()) as InstantClaimView;
    expect(claimed).toMatchObject({
      recipeId: recipe.id,
      accountId: user.account.id,
      creditsCharged: 5,
      balance: 7,
      replayed: false,
      form: { mood: expect.stringMatching(/^(calm|bold)$/) },
    });
    expect(claimed.generation).toMatchObject({ id: oldest!.id, accountId: user.account.id, status: 'completed' });
    expect(claimed.content).toHaveLength(1);
    expect(claimed.content[0]).toMatchObject({
      accountId: user.account.id,
      taskId: claimed.generation.taskIds[0],
      width: 180,
    });
    const [kept] = await stack.sql<{ days: number }>(
      'repurposer',
      `select extract(epoch from expires_at - now()) / 86400 as days from $schema.generated_content where id = ?`,
      [claimed.content[0]!.id],
    );
    expect(Number(kept!.days)).toBeCloseTo(3, 1);
    // The claimed generation reaches the user's live status stream.
    await ws.waitFor('the claimed generation', (m) => m.type === 'job_status' && m.job_id === oldest!.id);
    ws.close();

    // Now the user's: listed, readable, playable; still not the stranger's.
    const file = await user.api.call(`/api/v1/content/${claimed.content[0]!.id}/file`);
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBe(claimed.content[0]!.sizeBytes);
    expect((await user.api.call(`/api/v1/generations/${oldest!.id}`)).status).toBe(200);
    expect((await stranger.api.call(`/api/v1/content/${claimed.content[0]!.id}`)).status).toBe(404);

    // The claimer is told: in the app, and at their webhook (filtered on the backlog's events).
    const note = await eventually('the claim notification', async () => {
      const page = (await (await user.api.call('/api/v1/notifications')).json()) as {
        items: { kind: string; subjectId: string; message: string }[];
      };
      return page.items.find((n) => n.kind === 'backlog.item.claimed');
    });
    expect(note).toMatchObject({
      subjectId: oldest!.id,
      message: 'Your instant "Quick takes quick" video is ready for 5 credits.',
    });
    const delivered = JSON.parse((await receiver.next()).body) as {
      type: string;
      data: { generationId: string; ownerId?: string };
    };
    expect(delivered).toMatchObject({ type: 'backlog.item.claimed', data: { generationId: oldest!.id } });
    expect(delivered.data.ownerId).toBeUndefined();
    // Nothing about the backlog's own generations reached anyone.
    expect(
      await stack.sql('notifier', `select 1 from $schema.notifications where owner_id like 'reelforge:%'`),
    ).toEqual([]);

    // A replay answers with the same claim and charges nothing more.
    const again = await claim({ recipeId: recipe.id, accountId: user.account.id }, 'claim-1');
    expect(again.status).toBe(200);
    expect(((await again.json()) as InstantClaimView).claimId).toBe(claimed.claimId);
    const credits = (await (await user.api.call(`/api/v1/accounts/${user.account.id}/credits`)).json()) as CreditsView;
    expect(credits.balance).toBe(7);
    expect(credits.transactions.map((t) => [t.reason, t.amount])).toEqual([
      ['instant_claim', -5],
      ['grant', 12],
    ]);

    // The claim is recorded where demand is measured, and the pool refills to its minimum.
    const refilled = await eventually(
      'the pool to refill',
      async () => {
        const b = await backlogOf(user.api, recipe.id);
        return b.ready === 2 && b.claimsLastHour === 1 ? b : undefined;
      },
      90_000,
      200,
    );
    expect(refilled.producing).toBe(0);
    const [usage] = await stack.sql<{ claims: string }>(
      'backlog',
      'select claims from $schema.recipe_usage where recipe_id = ?',
      [recipe.id],
    );
    expect(Number(usage?.claims)).toBe(1);
    expect(
      await stack.sql('orchestrator', `select id from $schema.generations where recipe_id = ?`, [recipe.id]),
    ).toHaveLength(3);
  });

  it('answers an empty pool with 404 and fallbackToModal (the form then makes it the normal way, counted once), an unknown recipe with 404, an inactive one with 422', async () => {
    const user = await newTenant(stack, 'empty-pool', [files.url('library.mp4')]);
    const recipe = await createRecipe(recipeBody('nothing-here', 0, 1));
    const empty = await user.api.post('/api/v1/instant', { recipeId: recipe.id, accountId: user.account.id });
    expect(empty.status).toBe(404);
    expect(((await empty.json()) as { error: { details: unknown } }).error.details).toMatchObject({
      fallbackToModal: true,
    });

    // The fallback: the same recipe's form, made now from the user's own source.
    expect(
      (
        await user.api.post(`/api/v1/recipes/${recipe.id}/generations`, {
          accountId: user.account.id,
          form: { mood: 'loud' },
        })
      ).status,
    ).toBe(400);
    const make = () =>
      user.api.call(`/api/v1/recipes/${recipe.id}/generations`, {
        method: 'POST',
        body: JSON.stringify({ accountId: user.account.id, form: { mood: 'bold' } }),
        headers: { 'idempotency-key': 'recipe-gen-1' },
      });
    const started = await make();
    expect(started.status, await started.clone().text()).toBe(202);
    const { generation, form } = (await started.json()) as {
      generation: { id: string; accountId: string };
      form: Record<string, unknown>;
    };
    expect(generation.accountId).toBe(user.account.id);
    expect(form).toEqual({ mood: 'bold' });
    expect(((await (await make()).json()) as { generation: { id: string } }).generation.id).toBe(generation.id);
    const usage = await stack.sql<{ variable: string; value: unknown; uses: string }>(
      'backlog',
      'select variable, value, uses from $schema.recipe_usage_options where recipe_id = ?',
      [recipe.id],
    );
    expect(usage.map((u) => [u.variable, u.value, Number(u.uses)])).toEqual([['mood', 'bold', 1]]);
    const [counted] = await stack.sql<{ generations: string; claims: string }>(
      'backlog',
      'select generations, claims from $schema.recipe_usage where recipe_id = ?',
      [recipe.id],
    );
    expect(counted).toMatchObject({ generations: '1', claims: '0' });
    expect((await user.api.post('/api/v1/instant', { recipeId: uuidv7(), accountId: user.account.id })).status).toBe(
      404,
    );
    expect(
      (await ops.call(`/api/v1/recipes/${recipe.id}`, { method: 'PATCH', body: JSON.stringify({ active: false }) }))
        .status,
    ).toBe(200);
    expect((await user.api.post('/api/v1/instant', { recipeId: recipe.id, accountId: user.account.id })).status).toBe(
      422,
    );
  });

  it('never hands out an item older than BACKLOG_ITEM_MAX_AGE, and replaces it', async () => {
    const user = await newTenant(stack, 'stale-pool', []);
    await ops.post('/api/v1/library/sources', { url: files.url('library.mp4'), tags: ['ageing'] });
    // Inactive first, so its pool stays empty until the old item is in place.
    const recipe = await createRecipe({ ...recipeBody('ageing', 1, 0), active: false });
    const old = uuidv7();
    await stack.sql(
      'orchestrator',
      `insert into $schema.generations (id, account_id, content_type, status, total_requested, completed, recipe_id, backlog_form, finished_at) values (?, ?, 'shorts', 'completed', 0, 0, ?, '{}'::jsonb, now() - interval '8 days')`,
      [old, BACKLOG_ACCOUNT_ID, recipe.id],
    );
    expect(
      (await ops.call(`/api/v1/recipes/${recipe.id}`, { method: 'PATCH', body: JSON.stringify({ active: true }) }))
        .status,
    ).toBe(200);
    // The change starts a pass: the 8-day-old item counts for nothing, so a fresh one is made.
    const refreshed = await eventually(
      'a fresh item',
      async () => {
        const b = await backlogOf(user.api, recipe.id);
        return b.ready === 1 ? b : undefined;
      },
      90_000,
      200,
    );
    expect(refreshed).toMatchObject({ ready: 1, stale: 1 });
    const res = await user.api.post('/api/v1/instant', { recipeId: recipe.id, accountId: user.account.id });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as InstantClaimView).generation.id).not.toBe(old);
    // The old one stays the backlog's, never handed out.
    expect(
      await stack.sql('orchestrator', `select 1 from $schema.generations where id = ? and account_id = ?`, [
        old,
        BACKLOG_ACCOUNT_ID,
      ]),
    ).toHaveLength(1);
  });

  it('1,000 concurrent claims over a pool of 100: exactly 100 succeed, the rest are clean 404s, no item twice, every ledger sums', async () => {
    const recipe = await createRecipe(recipeBody('race', 0, 3));
    // The pool is seeded as finished items (the pipeline that makes them is the test above): this test is about the claim race.
    for (let i = 0; i < 100; i++) {
      await stack.sql(
        'orchestrator',
        `insert into $schema.generations (id, account_id, content_type, status, total_requested, completed, recipe_id, backlog_form, finished_at) values (?, ?, 'shorts', 'completed', 0, 0, ?, '{}'::jsonb, now())`,
        [uuidv7(), BACKLOG_ACCOUNT_ID, recipe.id],
      );
    }
    const tenants = await Promise.all(Array.from({ length: 20 }, (_, i) => newTenant(stack, `racer-${i}`, [])));
    for (const t of tenants)
      expect((await ops.post(`/api/v1/accounts/${t.account.id}/credits/grants`, { amount: 1000 })).status).toBe(201);

    const results = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const t = tenants[i % tenants.length]!;
        const res = await t.api.post('/api/v1/instant', { recipeId: recipe.id, accountId: t.account.id });
        return {
          status: res.status,
          body: (await res.json()) as InstantClaimView & { error?: { details?: { fallbackToModal?: boolean } } },
          tenant: t,
        };
      }),
    );
    const won = results.filter((r) => r.status === 200);
    const lost = results.filter((r) => r.status !== 200);
    expect(won).toHaveLength(100);
    expect(lost.every((r) => r.status === 404 && r.body.error?.details?.fallbackToModal === true)).toBe(true);
    expect(new Set(won.map((r) => r.body.generation.id)).size).toBe(100);
    expect(
      await stack.sql('orchestrator', `select 1 from $schema.generations where recipe_id = ? and account_id = ?`, [
        recipe.id,
        BACKLOG_ACCOUNT_ID,
      ]),
    ).toEqual([]);
    for (const t of tenants) {
      const mine = won.filter((r) => r.tenant === t).length;
      const owned = await stack.sql(
        'orchestrator',
        `select 1 from $schema.generations where recipe_id = ? and account_id = ?`,
        [recipe.id, t.account.id],
      );
      expect(owned).toHaveLength(mine);
      const [ledger] = await stack.sql<{ balance: string; sum: string; debits: string }>(
        'orchestrator',
        `select a.credit_balance as balance, (select sum(amount) from $schema.credit_transactions where account_id = a.id) as sum,
                (select count(*) from $schema.credit_transactions where account_id = a.id and reason = 'instant_claim') as debits
           from $schema.accounts a where a.id = ?`,
        [t.account.id],
      );
      expect(Number(ledger!.balance)).toBe(1000 - 3 * mine);
      expect(Number(ledger!.sum)).toBe(Number(ledger!.balance));
      expect(Number(ledger!.debits)).toBe(mine);
    }
  });

  it('two maintenance passes racing start exactly what is missing, never more', async () => {
    await ops.post('/api/v1/library/sources', { url: files.url('library.mp4'), tags: ['racing-refill'] });
    // Created inactive (no pass of its own yet), then two passes race for it.
    const recipe = await createRecipe({ ...recipeBody('racing-refill', 3, 0), active: false });
    await stack.sql('backlog', `update $schema.recipes set active = true where id = ?`, [recipe.id]);
    const pass = () =>
      sendCommand(
        stack.gateway.platform.messaging,
        backlogCommands.maintain,
        { recipeId: recipe.id },
        { timeoutMs: 60_000, owner: 'backlog-keeper' },
      );
    const [a, b] = await Promise.all([pass(), pass()]);
    expect(a.started + b.started).toBe(3);
    expect(
      await stack.sql('orchestrator', `select id from $schema.generations where recipe_id = ?`, [recipe.id]),
    ).toHaveLength(3);
  });
});
