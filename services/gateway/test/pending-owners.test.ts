import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';

const ID = '0190a0c0-0000-7000-8000-000000000001';

// Routes whose owners' behaviour later issues build (the backlog-keeper): defined,
// authenticated, validated, documented; until the owner serves the command they answer 503 naming
// it, promptly and never with made-up data.
describe('routes of owners not built yet', () => {
  let stack: Stack;
  let admin: ReturnType<typeof apiClient>;
  let user: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false });
    admin = apiClient(stack.gatewayUrl, await stack.bearer('pending-admin', ['operator']));
    user = apiClient(stack.gatewayUrl, await stack.bearer('pending-user'));
  });
  afterAll(() => stack?.stop());

  const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const routes: { name: string; path: string; init?: RequestInit; owner: string }[] = [
    { name: 'GET /recipes/:id/backlog', path: `/api/v1/recipes/${ID}/backlog`, owner: 'backlog-keeper' },
    { name: 'POST /instant', path: '/api/v1/instant', init: json('POST', { recipe_id: ID, account_id: ID }), owner: 'backlog-keeper' },
  ];

  for (const r of routes) {
    it(`${r.name}: 401 without a token, 503 naming ${r.owner} with one`, async () => {
      expect((await fetch(`${stack.gatewayUrl}${r.path}`, r.init)).status).toBe(401);
      const res = await admin.call(r.path, r.init);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, JSON.stringify(body)).toBe(503);
      expect(body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(body.error.message).toContain(r.owner);
    });
  }

  it('validates bodies and roles before asking the owner', async () => {
    expect((await admin.call('/api/v1/instant', json('POST', { recipe_id: 'nope', account_id: ID }))).status).toBe(400);
    expect((await admin.call('/api/v1/recipes', json('POST', { name: 'x', contentType: 'shorts', surprise: 1 }))).status).toBe(400);
    expect((await user.call('/api/v1/recipes', json('POST', { name: 'x', kind: 'clips', sourcePool: { kind: 'library', tag: 'a' } }))).status).toBe(403);
    expect((await user.call('/api/v1/jobs/runs')).status).toBe(403);
  });
});
