import { errors as joseErrors, jwtVerify } from 'jose';
import { DomainError, type Principal } from '@reelforge/contracts';

export interface TokenVerifierOptions {
  secret: string;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Accepted clock difference between issuer and us, in seconds. */
  clockToleranceSeconds?: number;
}

export type VerifyToken = (token: string) => Promise<Principal>;

/**
 * Verifies an HS256 bearer JWT (signature, expiry, not-before, issuer, audience) and returns the
 * principal: `sub` is the tenant id, `roles` (optional array) its roles.
 */
export function createTokenVerifier(options: TokenVerifierOptions): VerifyToken {
  const key = new TextEncoder().encode(options.secret);
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSeconds ?? 30,
      });
      if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > 200) throw new DomainError('UNAUTHENTICATED', 'token has no subject');
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      return { id: payload.sub, roles };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const reason = err instanceof joseErrors.JWTExpired ? 'token expired' : err instanceof joseErrors.JOSEError ? 'token is invalid' : 'token could not be verified';
      throw new DomainError('UNAUTHENTICATED', reason);
    }
  };
}

/** Extracts the bearer token from an Authorization header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header ?? '');
  return m?.[1];
}
