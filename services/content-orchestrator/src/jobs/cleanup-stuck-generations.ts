import type { CleanupSummary, GenerationCounters } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { closeExpiredLock, findExpiredLocks } from '../generations/close-expired-lock.ts';
import { realStatesOf, recountGeneration, type TaskStatesLookup } from '../generations/recount-generation.ts';

export interface CleanupDeps {
  fork: () => EntityManager;
  schema: string;
  service: string;
  stuckAfterMs: number;
  /** The tasks' real states from their owner (the repurposer); undefined when it cannot be asked. */
  taskStates: TaskStatesLookup;
  afterCommit: () => void;
  log: Logger;
}

/**
 * `cleanup_stuck_generation`: for generations open longer than STUCK_GENERATION_AFTER, pull the
 * tasks' real states from the repurposer and recompute; this repairs (1) all tasks terminal but the
 * generation not closed, (2) no active task but totals short (tasks that were never created are
 * dropped from the total), (3) counters whose sum exceeds total_requested. Then removes expired
 * locks, closing their generations (open tasks are given up and cancelled). Each fix is logged
 * with ids and counters; the summary is returned.
 */
export async function cleanupStuckGenerations(deps: CleanupDeps): Promise<CleanupSummary> {
  const s = `"${deps.schema}"`;
  const stuck = await deps
    .fork()
    .execute<{ id: string }[]>(
      `select id from ${s}.generations where status in ('queuing', 'processing') and updated_at < now() - (? * interval '1 millisecond') order by id limit 1000`,
      [deps.stuckAfterMs],
    );
  const fixed: CleanupSummary['fixed'] = [];
  for (const { id } of stuck) {
    const real = await realStatesOf(deps.fork(), deps.schema, deps.taskStates, id);
    const fix = await deps.fork().transactional(async (tx) => {
      const recount = await recountGeneration(tx, deps, id, real);
      if (!recount) return undefined;
      const { before, counters, status } = recount;
      const changed =
        before.status !== status ||
        (Object.keys(counters) as (keyof GenerationCounters)[]).some((k) => before[k] !== counters[k]);
      return changed ? { generationId: id, case: recount.case, status, counters, before } : undefined;
    });
    if (fix) {
      deps.log.warn(
        {
          generationId: fix.generationId,
          case: fix.case,
          before: fix.before,
          after: { status: fix.status, ...fix.counters },
          realStates: real !== undefined,
        },
        'stuck generation repaired',
      );
      fixed.push({ generationId: fix.generationId, case: fix.case, status: fix.status, counters: fix.counters });
    }
  }
  // An expired lock ends its generation, the same way a start that finds it does (closeExpiredLock).
  let locksRemoved = 0;
  for (const lock of await findExpiredLocks(deps.fork(), deps.schema)) {
    const real = await realStatesOf(deps.fork(), deps.schema, deps.taskStates, lock.generationId);
    const closed = await deps.fork().transactional((tx) => closeExpiredLock(tx, deps, lock, real));
    if (!closed) continue;
    locksRemoved++;
    deps.log.warn(
      {
        generationId: lock.generationId,
        accountId: lock.accountId,
        contentType: lock.contentType,
        status: closed.status,
        counters: closed.counters,
      },
      'expired generation lock removed',
    );
    if (closed.wasOpen)
      fixed.push({
        generationId: lock.generationId,
        case: 'lock_expired',
        status: closed.status,
        counters: closed.counters,
      });
  }
  if (fixed.length || locksRemoved) deps.afterCommit();
  return { examined: stuck.length, fixed, locksRemoved };
}
