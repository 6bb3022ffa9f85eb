import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { freePort } from '@reelforge/local-infra';
import { startServiceProcess } from '@reelforge/testing';
import { openWs } from './support/ws-client.ts';
import { startStack, TEST_JWT_SECRET, type Stack } from './support/stack.ts';

// Secrets never reach a log line: not the bearer token (header or `?token=`), not an API key, not
// the database password, not the JWT secret, whichever route is called, whatever fails, and not
// when a service refuses to start.
describe('no secret in any log line', () => {
  let stack: Stack;
  const levelBefore = process.env.TEST_LOG_LEVEL;
  beforeAll(async () => {
    process.env.TEST_LOG_LEVEL = 'debug'; // the most a deployment would ever log
    stack = await startStack({
      env: {
        RATE_LIMIT_PER_MINUTE: '1000000',
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
        AUTH_FAILURES_PER_MINUTE: '1000000',
      },
    });
  });
  afterAll(async () => {
    process.env.TEST_LOG_LEVEL = levelBefore;
    await stack?.stop();
  });

  const dbPassword = () => new URL(inject('databaseUrl')).password;

  it('every route, with a token in the header, in the query and as an API key, and failed logins', async () => {
    expect(dbPassword().length).toBeGreaterThan(8);
    const jwt = await stack.bearer('tenant-secrets', ['admin']);
    const keyRes = await fetch(`${stack.gatewayUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci' }),
    });
    expect(keyRes.status).toBe(201);
    const apiKey = ((await keyRes.json()) as { key: string }).key;
    const account = (await (
      await fetch(`${stack.gatewayUrl}/api/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Secrets' }),
      })
    ).json()) as { id: string };
    const guess = `rf_${'A'.repeat(43)}`;

    const doc = (await (await fetch(`${stack.gatewayUrl}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    let calls = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods).filter((m) => m !== 'head')) {
        const url = path.replace(/\{[^}]+\}/g, account.id);
        for (const credential of [jwt, apiKey, guess, `${jwt}x`]) {
          const hasBody = ['post', 'put', 'patch'].includes(method);
          const res = await fetch(`${stack.gatewayUrl}${url}`, {
            method: method.toUpperCase(),
            headers: {
              authorization: `Bearer ${credential}`,
              ...(hasBody ? { 'content-type': 'application/json' } : {}),
            },
            ...(hasBody ? { body: JSON.stringify({ token: credential, password: dbPassword() }) } : {}),
          });
          await res.arrayBuffer();
          calls++;
        }
        // Browsers' way for the socket, misused on other routes: the query carries the token.
        await (await fetch(`${stack.gatewayUrl}${url}?token=${jwt}`, { method: method.toUpperCase() })).arrayBuffer();
      }
    }
    expect(calls).toBeGreaterThan(100);
    for (const credential of [jwt, apiKey]) {
      const ws = await openWs(stack.gatewayUrl, undefined, `?token=${encodeURIComponent(credential)}`);
      ws.send({ subscribe_account: account.id });
      await ws.waitFor('subscribed', (m) => m.type === 'subscribed');
      ws.close();
      await ws.closed;
    }
    await expect(openWs(stack.gatewayUrl, undefined, `?token=${guess}`)).rejects.toThrow(/401/);

    const text = stack.logs
      .lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    expect(text).toMatch(/incoming request/); // requests were logged, with their URLs
    for (const secret of [jwt, jwt.split('.')[2]!, apiKey, guess, dbPassword(), TEST_JWT_SECRET])
      expect(text).not.toContain(secret);
  }, 120_000);

  it('a service that cannot start says why without printing a password or a secret', async () => {
    const run = async (env: Record<string, string>) => {
      const p = startServiceProcess('gateway', { HEALTH_PORT: '0', PORT: '0', ...env });
      await p.exited;
      return p.output.join('\n');
    };
    const port = await freePort(); // nothing listens there
    const natsPassword = 'nats-password-that-must-not-show';
    const outputs = [
      // A bad secret is named, never echoed.
      await run({ DATABASE_URL: inject('databaseUrl'), NATS_URL: inject('natsUrl'), JWT_SECRET: 'short-but-secret' }),
      await run({
        DATABASE_URL: inject('databaseUrl'),
        NATS_URL: `nats://reelforge:${natsPassword}@127.0.0.1:${port}`,
        JWT_SECRET: TEST_JWT_SECRET,
      }),
      await run({
        DATABASE_URL: inject('databaseUrl').replace(/:\d+\//, `:${port}/`),
        NATS_URL: inject('natsUrl'),
        JWT_SECRET: TEST_JWT_SECRET,
      }),
      await run({
        DATABASE_URL: `mysql://root:${dbPassword()}@db/x`,
        NATS_URL: inject('natsUrl'),
        JWT_SECRET: TEST_JWT_SECRET,
      }),
    ];
    expect(outputs[0]).toMatch(/JWT_SECRET must be at least 32 characters/);
    expect(outputs[1]).toMatch(/cannot connect to NATS at nats:\/\/reelforge:\*\*\*@127\.0\.0\.1/);
    expect(outputs[2]).toMatch(/cannot reach the database at postgres:\/\/\w+:\*\*\*@/);
    expect(outputs[3]).toMatch(/DATABASE_URL=.*is not a postgres/);
    for (const out of outputs)
      for (const secret of ['short-but-secret', natsPassword, dbPassword(), TEST_JWT_SECRET])
        expect(out).not.toContain(secret);
  }, 60_000);
});
