import { DomainError } from './errors.ts';

/**
 * The one rule for "this account's clips fill its storage": new work is refused (422, with the
 * figures) while the used bytes reach the quota; 0 means no quota. The gateway applies it to
 * generation starts, the repurposer to `POST /tasks`.
 */
export function accountStorageFull(accountId: string, usedBytes: number, quotaBytes: number): DomainError | undefined {
  if (quotaBytes <= 0 || usedBytes < quotaBytes) return undefined;
  return new DomainError(
    'UNPROCESSABLE',
    `account ${accountId} uses ${usedBytes} of its ${quotaBytes} bytes of clip storage; delete clips before making more`,
    { usedBytes, quotaBytes },
  );
}
