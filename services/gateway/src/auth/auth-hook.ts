import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, type Principal } from '@reelforge/contracts';
import type { CompatIdentity } from '../compat/compat-identity.ts';
import type { MediaLinkClaims, MediaLinks } from './media-links.ts';
import { bearerToken, type VerifyToken } from './verify-token.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set on every route except the public ones. */
    principal: Principal;
    /** On media-link routes: what the link was signed for. */
    mediaLink: MediaLinkClaims | null;
  }
  interface FastifyContextConfig {
    /** Marks a route that needs no authentication (health only). */
    public?: boolean;
    /** Marks a route authenticated by a signed media link in its `:token` parameter. */
    mediaLink?: boolean;
    /** Marks a compatibility route: a credential-less caller may be let in (compat/compat-identity.ts). */
    compat?: boolean;
  }
}

/**
 * Authenticates every request but the public routes: `Authorization: Bearer <jwt>`, or, for the
 * WebSocket route only (browsers cannot set headers there), a `token` query parameter; on media
 * routes, the signed link (the principal it was signed for, so owners scope it as usual); on
 * compatibility routes without credentials, the deployment's compat principal when it trusts the caller.
 */
export function installAuth(
  app: FastifyInstance,
  verify: VerifyToken,
  links: MediaLinks,
  compat: CompatIdentity = () => undefined,
): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('mediaLink', null);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.routeOptions.config?.public) return;
    if (req.routeOptions.config?.mediaLink) {
      const { token } = req.params as { token?: string };
      req.mediaLink = links.verify(token ?? '');
      req.principal = req.mediaLink.principal;
      return;
    }
    let token = bearerToken(req.headers.authorization);
    if (!token && req.routeOptions.url === '/api/v1/ws') {
      const q = req.query as Record<string, unknown> | undefined;
      if (typeof q?.token === 'string') token = q.token;
    }
    if (!token && req.routeOptions.config?.compat) {
      const principal = compat(req);
      if (principal) {
        req.principal = principal;
        return;
      }
    }
    if (!token) throw new DomainError('UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)');
    req.principal = await verify(token);
  });
}
