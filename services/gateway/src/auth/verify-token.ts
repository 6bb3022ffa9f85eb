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
}

export type VerifyToken = (token: string) => Promise<Principal>;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

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
  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new DomainError('UNAUTHENTICATED', 'token is invalid');
    }
    try {
      if (alg === 'HS256' && hmac)
        return principalOf((await jwtVerify(token, hmac, { ...claims, algorithms: ['HS256'] })).payload);
      if (alg && ASYMMETRIC.includes(alg) && jwks)
        return principalOf((await jwtVerify(token, jwks, { ...claims, algorithms: ASYMMETRIC })).payload);
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
}

/** Extracts the bearer token from an Authorization header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header ?? '');
  return m?.[1];
}
