import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { ConfigError } from '@reelforge/service-kit';
import { createTokenVerifier } from '../src/auth/verify-token.ts';
import { loadGatewayConfig } from '../src/config.ts';

const SECRET = 's'.repeat(40);

// Tokens from an identity provider, verified against its JWKS served over real HTTP.
describe('bearer tokens: HS256 secret and JWKS', () => {
  let server: Server;
  let jwksUrl: string;
  let idp: CryptoKey;
  let stranger: CryptoKey;
  let fetches = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    idp = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const rs256 = (key: CryptoKey, claims: { sub?: string; aud?: string; exp?: number } = {}) => {
    const jwt = new SignJWT({ roles: ['admin', 42] })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setIssuer('https://idp.example')
      .setExpirationTime(claims.exp ?? '5m');
    if (claims.sub !== undefined) jwt.setSubject(claims.sub);
    if (claims.aud) jwt.setAudience(claims.aud);
    return jwt.sign(key);
  };
  const hs256 = (sub: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
  const reason = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
    );

  it('accepts an RS256 token signed by the JWKS key, with issuer and audience checked, keys fetched once and cached', async () => {
    const verify = createTokenVerifier({ jwksUrl, issuer: 'https://idp.example', audience: 'reelforge' });
    fetches = 0;
    expect(await verify(await rs256(idp, { sub: 'tenant-1', aud: 'reelforge' }))).toEqual({
      id: 'tenant-1',
      roles: ['admin'],
    });
    expect(await verify(await rs256(idp, { sub: 'tenant-2', aud: 'reelforge' }))).toEqual({
      id: 'tenant-2',
      roles: ['admin'],
    });
    expect(fetches).toBe(1);
    expect(await reason(verify(await rs256(idp, { sub: 'tenant-1', aud: 'someone-else' })))).toBe(
      'UNAUTHENTICATED: token is invalid',
    );
    expect(
      await reason(
        verify(await rs256(idp, { sub: 'tenant-1', aud: 'reelforge', exp: Math.floor(Date.now() / 1000) - 3600 })),
      ),
    ).toBe('UNAUTHENTICATED: token expired');
    expect(await reason(verify(await rs256(idp, { aud: 'reelforge' })))).toBe('UNAUTHENTICATED: token has no subject');
  });

  it('refuses a token signed by another key, an HS256 token with no secret configured, and an unsigned one', async () => {
    const verify = createTokenVerifier({ jwksUrl });
    expect(await reason(verify(await rs256(stranger, { sub: 'mallory' })))).toBe('UNAUTHENTICATED: token is invalid');
    expect(await reason(verify(await hs256('mallory')))).toBe(
      'UNAUTHENTICATED: tokens signed with HS256 are not accepted',
    );
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url')}.`;
    expect(await reason(verify(unsigned))).toBe('UNAUTHENTICATED: tokens signed with none are not accepted');
    expect(await reason(verify('not-a-jwt'))).toBe('UNAUTHENTICATED: token is invalid');
  });

  it('with both configured, each algorithm goes to its own key', async () => {
    const verify = createTokenVerifier({ secret: SECRET, jwksUrl });
    expect((await verify(await hs256('local'))).id).toBe('local');
    expect((await verify(await rs256(idp, { sub: 'sso' }))).id).toBe('sso');
  });

  it('keeps a verified token until its own expiry at most, and never keeps a refused one', async () => {
    let clock = Date.now();
    const verify = createTokenVerifier({
      secret: SECRET,
      cache: { maxEntries: 2, maxAgeMs: 600_000 },
      now: () => clock,
    });
    const exp = Math.floor(clock / 1000) + 120;
    const token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('tenant-1')
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SECRET));
    const first = await verify(token);
    expect(first).toEqual({ id: 'tenant-1', roles: ['admin'] });
    first.roles.push('intruder'); // a caller's change stays its own
    expect(await verify(token)).toEqual({ id: 'tenant-1', roles: ['admin'] });

    // A forged signature on the same claims is a different text: checked, and refused every time.
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    expect(await reason(verify(forged))).toBe('UNAUTHENTICATED: token is invalid');
    expect(await reason(verify(forged))).toBe('UNAUTHENTICATED: token is invalid');

    // Past its exp (within jose's clock tolerance, which a fresh check would still accept) the
    // cached entry is gone and the token is checked again.
    clock = exp * 1000 + 1_000;
    expect(await reason(verify(token))).toBe('accepted');
    clock = exp * 1000 + 60_000;
    expect(await reason(verify(token))).toBe('UNAUTHENTICATED: token expired');
  });

  it('an unreachable JWKS is a 503, not a 401', async () => {
    const verify = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    expect(await reason(verify(await rs256(idp, { sub: 'tenant-1' })))).toMatch(/^SERVICE_UNAVAILABLE: /);
  });

  it('config needs a secret or a JWKS URL and says how to get one', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', NATS_URL: 'nats://127.0.0.1:4222' };
    expect(() => loadGatewayConfig(base)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(base)).toThrow(/JWT_SECRET .* or JWT_JWKS_URL/);
    expect(() => loadGatewayConfig({ ...base, JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(loadGatewayConfig({ ...base, JWT_JWKS_URL: jwksUrl }).JWT_JWKS_URL).toBe(jwksUrl);
  });

  it('config refuses a short MEDIA_LINK_SECRET, an unknown compat surface and a reserved compat principal', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', NATS_URL: 'nats://127.0.0.1:4222', JWT_SECRET: SECRET };
    expect(() => loadGatewayConfig({ ...base, MEDIA_LINK_SECRET: 'short' })).toThrow(/MEDIA_LINK_SECRET must be/);
    expect(() => loadGatewayConfig({ ...base, COMPAT_SURFACES: 'reelcraft,bogus' })).toThrow(
      /COMPAT_SURFACES: unknown bogus \(known: reelcraft, supoclip, butter, delula\)/,
    );
    expect(() => loadGatewayConfig({ ...base, COMPAT_PRINCIPAL: 'reelforge:backlog' })).toThrow(/reserved/);
    expect(loadGatewayConfig({ ...base, COMPAT_SURFACES: 'reelcraft' }).COMPAT_SURFACES).toEqual(['reelcraft']);
    expect(loadGatewayConfig(base).COMPAT_SURFACES).toEqual([]);
  });
});
