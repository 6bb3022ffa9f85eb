import { DomainError, requireOperator, type JobRunView, type Principal } from '@reelforge/contracts';
import type { JobDefinition } from '../jobs/job-registry.ts';
import { listRuns } from '../runs/job-run-store.ts';
import { runSlot, type RunSlotDeps } from '../runs/run-slot.ts';

export function findJob(jobs: JobDefinition[], name: string): JobDefinition {
  const job = jobs.find((j) => j.name === name || j.aliases.includes(name));
  if (!job)
    throw new DomainError(
      'NOT_FOUND',
      `no job named ${JSON.stringify(name)}; jobs: ${jobs.map((j) => j.name).join(', ')}`,
      { jobs: jobs.map((j) => j.name) },
    );
  return job;
}

/** Resolves with the first to settle of `work` and a timer of `ms` (null then); the timer never keeps the process up. */
function within<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createSchedulerCommands(
  deps: RunSlotDeps & { jobs: JobDefinition[]; clock: () => Date; manualRunWaitMs: number },
) {
  return {
    listRuns: async (req: { principal: Principal; job?: string; status?: string; limit?: number; cursor?: string }) => {
      requireOperator(req.principal, 'reading job runs');
      return listRuns(deps, req);
    },
    /**
     * A manual run gets a slot of its own, the instant asked (so it never takes a cron slot's place).
     * It answers with the finished run, or, when the job takes longer than `manualRunWaitMs`, with
     * the run still `running` (the gateway's 202): the run goes on and GET /jobs/runs shows its end,
     * instead of the caller getting a 503 for a job that is working.
     */
    runJob: async (req: { principal: Principal; job: string }): Promise<JobRunView> => {
      requireOperator(req.principal, 'running jobs');
      const job = findJob(deps.jobs, req.job);
      let claimed: JobRunView | undefined;
      const done = runSlot(deps, job, deps.clock(), (run) => (claimed = run));
      const finished = await within(done, deps.manualRunWaitMs);
      if (finished) return finished.run;
      done.catch((err: unknown) =>
        deps.log.error({ err: String(err), job: job.name }, 'a manual job run failed after its answer'),
      );
      // Still claiming (a slow database): wait for the claim, which is what the answer shows.
      return claimed ?? (await done).run;
    },
  };
}
