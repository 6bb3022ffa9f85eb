import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, type Principal } from '@reelforge/contracts';
import { bearerToken, type VerifyToken } from './verify-token.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set on every route except the public ones. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Marks a route that needs no authentication (health only). */
    public?: boolean;
  }
}

/**
 * Authenticates every request but the public routes: `Authorization: Bearer <jwt>`, or, for the
 * WebSocket route only (browsers cannot set headers there), a `token` query parameter.
 */
export function installAuth(app: FastifyInstance, verify: VerifyToken): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.routeOptions.config?.public) return;
    let token = bearerToken(req.headers.authorization);
    if (!token && req.routeOptions.url === '/api/v1/ws') {
      const q = req.query as Record<string, unknown> | undefined;
      if (typeof q?.token === 'string') token = q.token;
    }
    if (!token) throw new DomainError('UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)');
    req.principal = await verify(token);
  });
}
