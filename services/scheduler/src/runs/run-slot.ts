import type { JobRunView } from '@reelforge/contracts';
import type { Logger } from 'pino';
import type { JobDefinition } from '../jobs/job-registry.ts';
import { claimRun, finishRun, renewLease, type RunStoreDeps } from './job-run-store.ts';

export interface RunSlotDeps extends RunStoreDeps {
  /** Who holds the lease (host + pid + boot id): only it may renew or finish the run. */
  holder: string;
  leaseMs: number;
  log: Logger;
}

/** `ran`: this call ran the slot (`run.status` says how it went); `taken`: another run has or had it. */
export type SlotOutcome = { outcome: 'ran'; run: JobRunView } | { outcome: 'taken'; run: JobRunView };

/**
 * Runs `job` for `slot` at most once across every scheduler process: claims the (job, slot) row,
 * renews its lease while the command works, and records succeeded/failed with the summary. A
 * failure is recorded, never thrown: the caller reads `run.status`. `onClaimed` hears the run
 * (status running) as soon as this call holds the slot.
 */
export async function runSlot(
  deps: RunSlotDeps,
  job: JobDefinition,
  slot: Date,
  onClaimed?: (run: JobRunView) => void,
): Promise<SlotOutcome> {
  const claim = await claimRun(deps, { job: job.name, slot, holder: deps.holder, leaseMs: deps.leaseMs });
  if (!claim.claimed) return { outcome: 'taken', run: claim.run };
  onClaimed?.(claim.run);
  const id = claim.run.id;
  const renew = setInterval(
    () => {
      renewLease(deps, { id, holder: deps.holder, leaseMs: deps.leaseMs }).catch((err: unknown) =>
        deps.log.warn({ err: String(err), job: job.name }, 'could not renew a job lease'),
      );
    },
    Math.max(100, Math.floor(deps.leaseMs / 3)),
  );
  let result: { status: 'succeeded' | 'failed'; summary: Record<string, unknown> | null; error: string | null };
  try {
    result = { status: 'succeeded', summary: await job.run(slot), error: null };
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'INTERNAL';
    result = { status: 'failed', summary: null, error: `${code}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearInterval(renew);
  }
  const finished = await finishRun(deps, { id, holder: deps.holder, ...result });
  // Lost the lease meanwhile (a stall longer than it): another process retried the slot; say so.
  const run = finished ?? { ...claim.run, status: 'died' as const, error: 'lost the lease before finishing' };
  deps.log[run.status === 'succeeded' ? 'info' : 'warn'](
    { job: job.name, slot: slot.toISOString(), status: run.status, summary: run.summary, error: run.error },
    'job run finished',
  );
  return { outcome: 'ran', run };
}
