import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { BacklogView, InstantClaimView, RecipeView } from '@reelforge/contracts';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

// Delula's instant generation ("Backlog and Instant Generation System"), served by the gateway with
// COMPAT_SURFACES=delula, over the real backlog-keeper, orchestrator and repurposer. Each test
// names the section of that document it checks.
describe('Delula compatibility surface', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let recipe: RecipeView;
  let ops: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    stack = await startStack({ withBacklog: true, env: { COMPAT_SURFACES: 'delula' } });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'library.mp4'), { seconds: 2 });
    files = await serveFiles({ 'library.mp4': video });
    ops = apiClient(stack.gatewayUrl, await stack.bearer('delula-ops', ['operator']));
    expect(
      (await ops.post('/api/v1/library/sources', { url: files.url('library.mp4'), tags: ['delula'] })).status,
    ).toBe(201);
    const res = await ops.post('/api/v1/recipes', {
      name: 'Delula instant',
      kind: 'clips',
      variables: { type: 'object', properties: {} },
      template: { options: { width: 180, preset: 'ultrafast' } },
      sourcePool: { kind: 'library', tag: 'delula' },
      creditCost: 3,
      minBacklog: 1,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    recipe = (await res.json()) as RecipeView;
    await eventually(
      'the pool to fill',
      async () => {
        const b = (await (await ops.call(`/api/v1/recipes/${recipe.id}/backlog`)).json()) as BacklogView;
        return b.ready === 1 ? b : undefined;
      },
      90_000,
      200,
    );
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  const instant = (bearer: string, body: unknown) =>
    fetch(`${stack.gatewayUrl}/api/generate/instant`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('"Insufficient Credits": 400 {message, required, available}, and nothing is claimed', async () => {
    const user = await newTenant(stack, 'delula-poor', []);
    const res = await instant(user.bearer, { recipeId: recipe.id });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: 'Insufficient credits', required: 3, available: 0 });
    const b = (await (await ops.call(`/api/v1/recipes/${recipe.id}/backlog`)).json()) as BacklogView;
    expect(b.ready).toBe(1);
  });

  it('"API Endpoint": {recipeId} claims the ready generation (200, the caller’s now, paid); "No Backlog Available": then 404 {message, fallbackToModal: true}', async () => {
    const user = await newTenant(stack, 'delula-user', []);
    expect((await ops.post(`/api/v1/accounts/${user.account.id}/credits/grants`, { amount: 10 })).status).toBe(201);
    const res = await instant(user.bearer, { recipeId: recipe.id });
    expect(res.status, await res.clone().text()).toBe(200);
    const claimed = (await res.json()) as InstantClaimView;
    expect(claimed).toMatchObject({ recipeId: recipe.id, accountId: user.account.id, creditsCharged: 3, balance: 7 });
    expect(claimed.generation).toMatchObject({ accountId: user.account.id, status: 'completed' });
    // The generation is the caller's, through v1 too.
    expect((await user.api.call(`/api/v1/generations/${claimed.generation.id}`)).status).toBe(200);

    // The pool is empty until the refill renders: the documented fallback answer.
    const empty = await instant(user.bearer, { recipeId: recipe.id });
    expect(empty.status).toBe(404);
    expect(await empty.json()).toEqual({ message: 'No instant generation available', fallbackToModal: true });
  });

  it('other errors keep v1’s shape; credential-less callers are refused (no COMPAT_PRINCIPAL here)', async () => {
    const user = await newTenant(stack, 'delula-other', []);
    const unknown = await instant(user.bearer, { recipeId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await instant(user.bearer, { recipe: 'x' })).status).toBe(400);
    const anonymous = await fetch(`${stack.gatewayUrl}/api/generate/instant`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipeId: recipe.id }),
    });
    expect(anonymous.status).toBe(401);
  });
});
