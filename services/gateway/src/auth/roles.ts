import { DomainError, type Principal } from '@reelforge/contracts';

/**
 * The role model. `operator` is system-wide: it runs system jobs, reads job runs and other
 * cross-tenant state, and manages what all tenants share (recipes). `admin` is a tenant's own
 * administrator: it means something inside that tenant only and never passes an operator check.
 */
export const OPERATOR = 'operator';
export const TENANT_ADMIN = 'admin';

/** Throws 403 unless the caller holds `operator`; `what` says what was attempted. */
export function requireOperator(principal: Principal, what: string): void {
  if (!principal.roles.includes(OPERATOR)) throw new DomainError('FORBIDDEN', `${what} needs the ${OPERATOR} role`, { requiredRole: OPERATOR });
}

/**
 * The roles a new API key gets. Asked-for roles must each be held by the maker (a key never
 * carries more than its maker had). Without a request, the maker's roles minus `operator`: a
 * system-wide key has to be asked for explicitly, so a leaked everyday key cannot run jobs.
 */
export function apiKeyRoles(maker: Principal, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return maker.roles.filter((r) => r !== OPERATOR);
  for (const role of requested) {
    if (!maker.roles.includes(role)) throw new DomainError('FORBIDDEN', `an API key cannot have the role "${role}": its maker does not hold it`, { role });
  }
  return [...new Set(requested)];
}
