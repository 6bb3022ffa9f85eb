import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@reelforge/contracts';

/**
 * Counts each caller's open live connections (WebSocket and SSE) on this instance, so one caller
 * cannot hold every socket the gateway can serve. `acquire` refuses past the cap with a 429 and
 * otherwise returns the release, safe to call more than once.
 */
export function createConnectionCaps(maxPerPrincipal: number) {
  const open = new Map<string, number>();
  let total = 0;
  return {
    acquire: (principalId: string): (() => void) => {
      const count = open.get(principalId) ?? 0;
      if (count >= maxPerPrincipal)
        throw new DomainError(
          'RATE_LIMITED',
          `at most ${maxPerPrincipal} live connections (WebSocket and SSE) per caller; close one first`,
          { retryAfterSeconds: 5 },
        );
      open.set(principalId, count + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (open.get(principalId) ?? 1) - 1;
        if (left <= 0) open.delete(principalId);
        else open.set(principalId, left);
      };
    },
    openFor: (principalId: string) => open.get(principalId) ?? 0,
    /** Every open live connection on this instance (metrics). */
    total: () => total,
  };
}

export type ConnectionCaps = ReturnType<typeof createConnectionCaps>;

/** A live route's preHandler: counts the connection before the stream starts (a 429 is still an HTTP answer), frees it on close. */
export function holdLiveConnection(caps: ConnectionCaps) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    reply.raw.once('close', caps.acquire(req.principal.id));
  };
}
