import { createHash } from 'node:crypto';
import { DomainError, type GenerationView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { loadGenerationView } from './generation-view.ts';

/** What a start asked for, hashed: a key reused with another request is refused, as the gateway does. */
export function requestHashOf(request: { type: string; count: number; options: unknown }): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/**
 * The generation an earlier start with this Idempotency-Key made for the account (the gateway timed
 * out or crashed after it committed, and the client retried): returned as that start answered,
 * `shortBy` from its tasks. The same key with another request is UNPROCESSABLE.
 */
export async function findKeyedStart(
  em: EntityManager,
  schema: string,
  req: { accountId: string; key: string; requestHash: string; count: number },
): Promise<{ generation: GenerationView; shortBy: number }> {
  const [row] = await em.execute<{ id: string; request_hash: string | null }[]>(
    `select id, request_hash from "${schema}".generations where account_id = ? and idempotency_key = ?`,
    [req.accountId, req.key],
  );
  // The insert waited for the first start's transaction: it committed (else ours would have inserted).
  if (!row) throw new DomainError('CONFLICT', 'the generation for this Idempotency-Key vanished; retry the request');
  if (row.request_hash !== req.requestHash)
    throw new DomainError('UNPROCESSABLE', 'this Idempotency-Key was used with a different request body');
  const view = await loadGenerationView(em, schema, row.id);
  if (!view) throw new DomainError('CONFLICT', 'the generation for this Idempotency-Key vanished; retry the request');
  return { generation: view, shortBy: Math.max(0, req.count - view.taskIds.length) };
}
