import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { API_KEY_CACHE_TTL_MS } from '../src/auth/api-keys.ts';
import { apiClient } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';

// API key verification stays off the database's write path: valid keys are cached briefly (a
// revoke evicts at once here, elsewhere within the TTL), `last_used_at` is written at most once a
// minute, and guesses write nothing. Only the gateway is needed (GET /api-keys is its own).
describe('API key verification cache', () => {
  let stack: Stack;
  let owner: ReturnType<typeof apiClient>;
  const call = (baseUrl: string, key: string) => apiClient(baseUrl, key).call('/api/v1/api-keys');
  const makeKey = async (name: string) => {
    const res = await owner.post('/api/v1/api-keys', { name });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };
  // Counted by triggers (exact, unlike the statistics views): one row per api_keys row updated
  // (key_id set), and one per UPDATE statement, even one that matched nothing (key_id null).
  const count = async (where: string, params: unknown[] = []) =>
    Number(
      (
        await stack.sql<{ n: string }>(
          'gateway',
          `select count(*) as n from $schema.api_key_updates where ${where}`,
          params,
        )
      )[0]!.n,
    );
  const rowWrites = (keyId: string) => count('key_id = ?', [keyId]);
  const updateStatements = () => count('key_id is null');

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false, withOrchestrator: false });
    owner = apiClient(stack.gatewayUrl, await stack.bearer('key-owner'));
    await stack.sql('gateway', 'create table $schema.api_key_updates (key_id uuid)');
    await stack.sql(
      'gateway',
      "create function $schema.count_api_key_update() returns trigger language plpgsql as $$ begin insert into $schema.api_key_updates values (case when tg_level = 'ROW' then new.id end); return null; end $$",
    );
    await stack.sql(
      'gateway',
      'create trigger count_rows after update on $schema.api_keys for each row execute function $schema.count_api_key_update()',
    );
    await stack.sql(
      'gateway',
      'create trigger count_statements after update on $schema.api_keys for each statement execute function $schema.count_api_key_update()',
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stops accepting a revoked key at once on this instance and within the TTL on another', async () => {
    const other = await stack.addGateway();
    const { id, key } = await makeKey('revoke-me');
    // Both instances accept it, and so hold it in their caches.
    expect((await call(stack.gatewayUrl, key)).status).toBe(200);
    expect((await call(other, key)).status).toBe(200);

    expect((await owner.call(`/api/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const revokedAt = Date.now();
    expect((await call(stack.gatewayUrl, key)).status).toBe(401);
    await expect
      .poll(async () => (await call(other, key)).status, { timeout: API_KEY_CACHE_TTL_MS + 2_000, interval: 100 })
      .toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(API_KEY_CACHE_TTL_MS + 2_000);
  });

  it('writes last_used_at at most once for 100 calls with one key', async () => {
    const { id, key } = await makeKey('busy');
    const statementsBefore = await updateStatements();
    for (let round = 0; round < 10; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async () => (await call(stack.gatewayUrl, key)).status),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
    }
    // The one write happens in the background; wait for it, then check it stayed one.
    await expect.poll(() => rowWrites(id), { timeout: 5_000, interval: 50 }).toBe(1);
    const listed = (await (await owner.call('/api/v1/api-keys')).json()) as {
      items: { id: string; lastUsedAt: string | null }[];
    };
    expect(listed.items.find((k) => k.id === id)?.lastUsedAt).not.toBeNull();
    expect(await rowWrites(id)).toBe(1);
    expect((await updateStatements()) - statementsBefore).toBe(1);
  });

  it('issues no UPDATE for 50 bad guesses', async () => {
    const revoked = await makeKey('revoked');
    expect((await owner.call(`/api/v1/api-keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(204);
    const before = await updateStatements();
    const guesses = [
      ...Array.from({ length: 40 }, () => `rf_${randomBytes(32).toString('base64url')}`), // well-formed, unknown
      ...Array.from({ length: 5 }, (_, i) => `rf_${'x'.repeat(i + 1)}`), // malformed
      ...Array.from({ length: 5 }, () => revoked.key),
    ];
    for (const guess of guesses) expect((await call(stack.gatewayUrl, guess)).status).toBe(401);
    expect(await updateStatements()).toBe(before);
  });
});
