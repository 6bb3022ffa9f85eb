import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';

type ErrorBody = { error: { code: string; message: string } };
const GUESS = `rf_${'G'.repeat(43)}`;

// The per-address budgets run before authentication: unauthenticated calls and credential guesses
// are limited too, and a refused address costs no verification. Only the gateway is needed
// (GET /api-keys is answered from its own schema).
describe('per-address request budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      withRepurposer: false,
      withOrchestrator: false,
      env: { RATE_LIMIT_PER_IP_PER_MINUTE: '5' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers the N+1th unauthenticated request with 429 and Retry-After, before authenticating', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${stack.gatewayUrl}/api/v1/api-keys`)).status).toBe(401);
    const limited = await fetch(`${stack.gatewayUrl}/api/v1/api-keys`);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({
      error: { code: 'RATE_LIMITED', details: { retryAfterSeconds: retryAfter } },
    });

    // Authentication never runs: a bad credential gets 429, not 401, and a good one gets no further.
    for (const bearer of ['garbage', GUESS, await stack.bearer('someone')]) {
      const res = await apiClient(stack.gatewayUrl, bearer).call('/api/v1/api-keys');
      expect(res.status).toBe(429);
      expect(((await res.json()) as ErrorBody).error.code).toBe('RATE_LIMITED');
    }
    // Probes and the API description are never limited.
    for (const path of ['/healthz', '/readyz', '/api/v1/openapi.json'])
      expect((await fetch(`${stack.gatewayUrl}${path}`)).status, path).toBe(200);
  });
});

describe('failed authentications per address', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      withRepurposer: false,
      withOrchestrator: false,
      env: { AUTH_FAILURES_PER_MINUTE: '3' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses an address after N failed authentications, before checking any credential', async () => {
    const good = apiClient(stack.gatewayUrl, await stack.bearer('good'));
    // Successful calls are not failures.
    for (let i = 0; i < 5; i++) expect((await good.call('/api/v1/api-keys')).status).toBe(200);
    for (const bearer of [undefined, 'garbage', GUESS])
      expect((await apiClient(stack.gatewayUrl, bearer).call('/api/v1/api-keys')).status).toBe(401);

    // Now even a valid token from that address is refused unheard, and a guess is not looked up.
    for (const client of [good, apiClient(stack.gatewayUrl, GUESS)]) {
      const refused = await client.call('/api/v1/api-keys');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as ErrorBody).error.message).toContain('failed authentications');
    }
    expect((await fetch(`${stack.gatewayUrl}/readyz`)).status).toBe(200);
  });
});
