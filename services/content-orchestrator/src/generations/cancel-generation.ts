import { DomainError, makeEnvelope, subjects, type GenerationView, type Principal } from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { loadGenerationView } from './generation-view.ts';
import { isOpen, settleGeneration } from './settle-generation.ts';

/**
 * Asks for a generation's cancel: records it and sends the repurposer one cancel request (through
 * the outbox) for the tasks still open. The generation becomes `cancelled` when the repurposer
 * confirms each task (queued ones at once, running ones once their ffmpeg is gone). Cancelling a
 * finished generation changes nothing and returns it as it is.
 */
export function createCancelGeneration(deps: {
  fork: () => EntityManager;
  schema: string;
  service: string;
  afterCommit: () => void;
}) {
  const s = `"${deps.schema}"`;
  return async (req: { principal: Principal; generationId: string }): Promise<GenerationView> => {
    const view = await deps.fork().transactional(async (tx) => {
      const [gen] = await tx.execute<{ account_id: string; status: string }[]>(
        `select account_id, status from ${s}.generations where id = ? for update`,
        [req.generationId],
      );
      if (!gen) throw new DomainError('NOT_FOUND', `generation ${req.generationId} not found`);
      await findOwnedAccount(tx, req.principal, gen.account_id).catch(() => {
        throw new DomainError('NOT_FOUND', `generation ${req.generationId} not found`);
      });
      if (isOpen(gen.status)) {
        await tx.execute(
          `update ${s}.generations set cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now() where id = ?`,
          [req.generationId],
        );
        const open = await tx.execute<{ task_id: string }[]>(
          `select task_id from ${s}.generation_tasks where generation_id = ? and status in ('queued', 'processing')`,
          [req.generationId],
        );
        const taskIds = open.map((t) => t.task_id);
        if (taskIds.length) {
          await enqueueOutbox(
            tx,
            deps.schema,
            subjects.cancelRequest(gen.account_id),
            makeEnvelope('content.cancel.requested.v1', deps.service, gen.account_id, {
              generationId: req.generationId,
              taskIds,
              reason: 'generation cancelled by request',
            }),
          );
        } else {
          await settleGeneration(tx, deps.schema, deps.service, req.generationId);
        }
      }
      return loadGenerationView(tx, deps.schema, req.generationId);
    });
    deps.afterCommit();
    if (!view) throw new DomainError('NOT_FOUND', `generation ${req.generationId} not found`);
    return view;
  };
}
