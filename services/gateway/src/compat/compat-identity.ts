import type { FastifyRequest } from 'fastify';
import type { Principal } from '@reelforge/contracts';

/**
 * Who a compatibility request without credentials is (docs/compat.md, "Identity"). The clients of
 * the systems Reelforge replaces mostly send no token; a deployment may choose to treat such
 * requests as one configured principal, but only from browser origins it names or, for scripts
 * on the same machine, from a loopback socket. This is a trust decision, off unless configured:
 * an Origin header proves nothing about a non-browser caller, so never expose it beyond a
 * private network. Credentials, when sent, always win.
 */
export interface CompatIdentityPolicy {
  /** The principal credential-less requests act as; none = they are refused (401). */
  principal: string | undefined;
  /** Browser origins (scheme://host[:port]) whose credential-less requests act as it. */
  origins: readonly string[];
  /** Credential-less requests with no Origin, from a loopback socket address, act as it. */
  loopback: boolean;
}

export type CompatIdentity = (req: FastifyRequest) => Principal | undefined;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function compatIdentity(policy: CompatIdentityPolicy): CompatIdentity {
  const principal = policy.principal;
  if (!principal) return () => undefined;
  const origins = new Set(policy.origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return (req) => {
    const origin = req.headers.origin;
    // The socket's address, not X-Forwarded-For: a header cannot make a remote caller local.
    const local = LOOPBACK.test(req.socket.remoteAddress ?? '');
    const trusted = origin === undefined ? policy.loopback && local : origins.has(origin.toLowerCase());
    return trusted ? { id: principal, roles: [] } : undefined;
  };
}
