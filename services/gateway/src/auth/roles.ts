import { DomainError, OPERATOR, type Principal } from '@reelforge/contracts';

// The role model (operator vs a tenant's admin) lives in contracts: every owner checks it too.
export { OPERATOR, TENANT_ADMIN, requireOperator } from '@reelforge/contracts';

/**
 * The roles a new API key gets. Asked-for roles must each be held by the maker (a key never
 * carries more than its maker had). Without a request, the maker's roles minus `operator`: a
 * system-wide key has to be asked for explicitly, so a leaked everyday key cannot run jobs.
 */
export function apiKeyRoles(maker: Principal, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return maker.roles.filter((r) => r !== OPERATOR);
  for (const role of requested) {
    if (!maker.roles.includes(role))
      throw new DomainError('FORBIDDEN', `an API key cannot have the role "${role}": its maker does not hold it`, {
        role,
      });
  }
  return [...new Set(requested)];
}
