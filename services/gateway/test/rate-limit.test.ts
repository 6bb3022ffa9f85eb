import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';

// Rate limiting is per principal: one caller over the limit gets 429 with Retry-After; another
// caller, and the health probes, are unaffected.
describe('rate limiting', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false, env: { RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('limits each principal on its own', async () => {
    const noisy = apiClient(stack.gatewayUrl, await stack.bearer('noisy'));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await noisy.call('/api/v1/accounts')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await noisy.call('/api/v1/accounts');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    const quiet = apiClient(stack.gatewayUrl, await stack.bearer('quiet'));
    expect((await quiet.call('/api/v1/accounts')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await fetch(`${stack.gatewayUrl}/readyz`)).status).toBe(200);
  });

  it('sends security headers and a request id', async () => {
    const res = await apiClient(stack.gatewayUrl, await stack.bearer('headers')).call('/api/v1/accounts');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull(); // no CORS origins configured
  });
});
