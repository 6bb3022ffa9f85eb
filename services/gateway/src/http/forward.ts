import type { CommandDeclaration, TSchemaLike } from '@reelforge/contracts';
import { sendCommand, type Messaging } from '@reelforge/messaging';
import type { Static } from '@sinclair/typebox';

/** Sends a command to its owning service and returns the answer (errors arrive as DomainErrors). */
export type Forward = <Req extends TSchemaLike, Res extends TSchemaLike>(decl: CommandDeclaration<Req, Res>, request: Static<Req>) => Promise<Static<Res>>;

const OWNERS: Record<string, string> = { orchestrator: 'content-orchestrator', repurposer: 'repurposer', backlog: 'backlog-keeper', notifier: 'notifier', scheduler: 'scheduler' };

export function createForward(m: Messaging, timeoutMs: number): Forward {
  return (decl, request) => {
    const owner = OWNERS[decl.subject.split('.')[1] ?? ''] ?? 'the owning service';
    return sendCommand(m, decl, request, { timeoutMs, owner });
  };
}
