import type { CommandDeclaration, TSchemaLike } from '@reelforge/contracts';
import { sendCommand, type Messaging } from '@reelforge/messaging';
import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';

/** Sends a command to its owning service and returns the answer (errors arrive as DomainErrors). */
export type Forward = <Req extends TSchemaLike, Res extends TSchemaLike>(
  decl: CommandDeclaration<Req, Res>,
  request: Static<Req>,
) => Promise<Static<Res>>;

const OWNERS: Record<string, string> = {
  orchestrator: 'content-orchestrator',
  repurposer: 'repurposer',
  backlog: 'backlog-keeper',
  notifier: 'notifier',
  scheduler: 'scheduler',
};

/** `log` records an owner's malformed reply (a 502 that is ours, never blamed on the client). */
export function createForward(m: Messaging, timeoutMs: number, log: Logger): Forward {
  return (decl, request) => {
    const owner = OWNERS[decl.subject.split('.')[1] ?? ''] ?? 'the owning service';
    return sendCommand(m, decl, request, { timeoutMs, owner, log });
  };
}
