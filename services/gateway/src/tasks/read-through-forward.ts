import {
  repurposerCommands,
  type CommandDeclaration,
  type Principal,
  type TaskView,
  type TSchemaLike,
} from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import type { TaskReadModel } from './task-read-model.ts';

type TaskRequest = { principal: Principal; taskId: string };

/**
 * Forward with the task read model in front of it: a task read is answered from the model when it
 * can be, else asked of the repurposer and its answer kept; a cancel's or retry's answer replaces
 * the entry (a running task's `cancelling` is announced by no event). Every route, compat surfaces
 * and live snapshots included, reads tasks through it.
 */
export function readThroughForward(forward: Forward, model: TaskReadModel): Forward {
  const ask = async (decl: typeof repurposerCommands.getTask, req: TaskRequest, mutates: boolean) => {
    const ticket = model.begin(req.taskId);
    try {
      const view = await forward(decl, req);
      model.settle(ticket, req.principal.id, view);
      return view;
    } catch (err) {
      model.abandon(ticket);
      // A failed cancel or retry may still have happened (a timeout): what we hold may be stale.
      if (mutates) model.forget(req.taskId);
      throw err;
    }
  };
  const readTask = async (req: TaskRequest): Promise<TaskView> =>
    model.lookup(req.taskId, req.principal.id) ?? ask(repurposerCommands.getTask, req, false);
  const wrapped = async (decl: CommandDeclaration<TSchemaLike, TSchemaLike>, request: unknown): Promise<unknown> => {
    // Declarations are module constants: identity says which command this is, and its request type.
    if (decl === repurposerCommands.getTask) return readTask(request as TaskRequest);
    if (decl === repurposerCommands.cancelTask) return ask(repurposerCommands.cancelTask, request as TaskRequest, true);
    if (decl === repurposerCommands.retryTask) return ask(repurposerCommands.retryTask, request as TaskRequest, true);
    return forward(decl, request as never);
  };
  return wrapped;
}
