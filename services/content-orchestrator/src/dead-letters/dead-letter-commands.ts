import {
  DomainError,
  requireOperator,
  type DeadLetterView,
  type Principal,
  type RedriveResult,
} from '@reelforge/contracts';
import { listDeadLetters, redriveDeadLetter, type Messaging } from '@reelforge/messaging';
import type { Logger } from 'pino';

/**
 * `cmd.orchestrator.deadLetters.{list,redrive}`: the orchestrator serves the shared DLQ for the
 * whole system (every service's letters), as it already runs the other operator job; the CLI calls
 * the same library functions directly.
 */
export function createDeadLetterCommands(deps: { m: Messaging; log: Logger }) {
  return {
    list: async (req: {
      principal: Principal;
      limit?: number;
      cursor?: string;
    }): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> => {
      requireOperator(req.principal, 'reading dead letters');
      if (req.cursor !== undefined && !/^\d{1,15}$/.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      return listDeadLetters(deps.m, { after: Number(req.cursor ?? 0), limit: req.limit ?? 20 });
    },
    redrive: async (req: { principal: Principal; id: number }): Promise<RedriveResult> => {
      requireOperator(req.principal, 'redriving dead letters');
      const result = await redriveDeadLetter(deps.m, req.id);
      deps.log.warn(
        {
          deadLetter: req.id,
          subject: result.subject,
          stream: result.stream,
          sequence: result.sequence,
          duplicate: result.duplicate,
          by: req.principal.id,
        },
        'dead letter redriven',
      );
      return result;
    },
  };
}
