import type { Principal } from './commands.ts';
import { DomainError } from './errors.ts';

/**
 * `operator` is system-wide: it runs system jobs, reads job runs and other cross-tenant state,
 * grants credits and manages what all tenants share. `admin` is a tenant's own administrator: it
 * means something inside that tenant only and never passes an operator check.
 */
export const OPERATOR = 'operator';
export const TENANT_ADMIN = 'admin';

/**
 * Throws 403 unless the caller holds `operator`; `what` says what was attempted. The gateway checks
 * and every owner checks again: a command can be sent by anything on NATS.
 */
export function requireOperator(principal: Principal, what: string): void {
  if (!principal.roles.includes(OPERATOR))
    throw new DomainError('FORBIDDEN', `${what} needs the ${OPERATOR} role`, { requiredRole: OPERATOR });
}
