import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError, SYSTEM_PRINCIPAL_PREFIX, type Principal } from '@reelforge/contracts';

export interface TokenVerifierOptions {
  /** HS256 shared secret (at least 32 characters). */
  secret?: string | undefined;
  /** A JWKS URL (an identity provider's): asymmetric tokens (RS/PS/ES/EdDSA) are verified against its keys. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Accepted clock difference between issuer and us, in seconds. */
  clockToleranceSeconds?: number;
  /**
   * Verified tokens kept (by their exact text) so a client's next request skips the signature
   * check: at most `maxEntries`, each until its own `exp` and at most `maxAgeMs`. 0 entries: off.
   */
  cache?: { maxEntries: number; maxAgeMs: number };
  /** The clock (ms since the epoch) for expiry checks and the cache; tests move it. */
  now?: () => number;
}

export type VerifyToken = (token: string) => Promise<Principal>;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Longer tokens are not kept: a cache of big keys would cost more memory than it saves. */
const MAX_CACHED_TOKEN_LENGTH = 4096;

function principalOf(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > 200)
    throw new DomainError('UNAUTHENTICATED', 'token has no subject');
  // The system's own principals (the backlog account's owner) are never a caller.
  if (payload.sub.startsWith(SYSTEM_PRINCIPAL_PREFIX))
    throw new DomainError('UNAUTHENTICATED', `token subjects starting with "${SYSTEM_PRINCIPAL_PREFIX}" are reserved`);
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { id: payload.sub, roles };
}

/**
 * Verifies a bearer JWT (signature, expiry, not-before, issuer, audience) and returns the
 * principal: `sub` is the tenant id, `roles` (optional array) its roles. HS256 tokens are checked
 * with the shared secret, asymmetric ones against the JWKS (keys fetched on demand and cached by
 * jose, refetched when a token names an unknown `kid`). The algorithm decides the key, and an
 * algorithm without a configured key is refused, so an HS256 token can never be "verified" with
 * a public key.
 */
export function createTokenVerifier(options: TokenVerifierOptions): VerifyToken {
  const hmac = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
        timeoutDuration: 5_000,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      })
    : undefined;
  const claims = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds ?? 30,
  };
  const now = options.now ?? Date.now;
  const verify = async (token: string): Promise<JWTPayload> => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new DomainError('UNAUTHENTICATED', 'token is invalid');
    }
    try {
      if (alg === 'HS256' && hmac)
        return (await jwtVerify(token, hmac, { ...claims, currentDate: new Date(now()), algorithms: ['HS256'] }))
          .payload;
      if (alg && ASYMMETRIC.includes(alg) && jwks)
        return (await jwtVerify(token, jwks, { ...claims, currentDate: new Date(now()), algorithms: ASYMMETRIC }))
          .payload;
      throw new DomainError('UNAUTHENTICATED', `tokens signed with ${alg ?? 'no algorithm'} are not accepted`);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      // The identity provider's key set is unreachable: our problem, not the caller's token.
      if (
        err instanceof joseErrors.JWKSTimeout ||
        (err instanceof Error && !(err instanceof joseErrors.JOSEError) && jwks)
      ) {
        throw new DomainError('SERVICE_UNAVAILABLE', 'the token signing keys (JWKS) cannot be fetched right now');
      }
      const reason =
        err instanceof joseErrors.JWTExpired
          ? 'token expired'
          : err instanceof joseErrors.JOSEError
            ? 'token is invalid'
            : 'token could not be verified';
      throw new DomainError('UNAUTHENTICATED', reason);
    }
  };
  const cache = options.cache;
  if (!cache || cache.maxEntries <= 0) return async (token) => principalOf(await verify(token));
  const verified = new Map<string, { principal: Principal; until: number }>();
  return async (token) => {
    const hit = verified.get(token);
    // A copy: a caller changing its principal must not change the next request's.
    if (hit && hit.until > now()) return { id: hit.principal.id, roles: [...hit.principal.roles] };
    if (hit) verified.delete(token);
    const payload = await verify(token);
    const principal = principalOf(payload);
    // Kept no longer than the token is valid without the clock tolerance (stricter than jose).
    const until = Math.min(now() + cache.maxAgeMs, typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity);
    if (token.length <= MAX_CACHED_TOKEN_LENGTH && until > now()) {
      verified.set(token, { principal: { id: principal.id, roles: [...principal.roles] }, until });
      // The Map's order is insertion order: the oldest goes first.
      while (verified.size > cache.maxEntries) verified.delete(verified.keys().next().value!);
    }
    return principal;
  };
}

/** Extracts the bearer token from an Authorization header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header ?? '');
  return m?.[1];
}
