import { DomainError, type JobRunView, type Principal } from '@reelforge/contracts';
import type { JobDefinition } from '../jobs/job-registry.ts';
import { listRuns } from '../runs/job-run-store.ts';
import { runSlot, type RunSlotDeps } from '../runs/run-slot.ts';

const OPERATOR = 'operator';

/** The gateway checks the role; the owner checks again (a command can be sent by anything on NATS). */
function requireOperator(principal: Principal, what: string): void {
  if (!principal.roles.includes(OPERATOR)) throw new DomainError('FORBIDDEN', `${what} needs the ${OPERATOR} role`, { requiredRole: OPERATOR });
}

export function findJob(jobs: JobDefinition[], name: string): JobDefinition {
  const job = jobs.find((j) => j.name === name || j.aliases.includes(name));
  if (!job) throw new DomainError('NOT_FOUND', `no job named ${JSON.stringify(name)}; jobs: ${jobs.map((j) => j.name).join(', ')}`, { jobs: jobs.map((j) => j.name) });
  return job;
}

export function createSchedulerCommands(deps: RunSlotDeps & { jobs: JobDefinition[]; clock: () => Date }) {
  return {
    async listRuns(req: { principal: Principal; job?: string; status?: string; limit?: number; cursor?: string }) {
      requireOperator(req.principal, 'reading job runs');
      return listRuns(deps, req);
    },
    /** A manual run gets a slot of its own, the instant asked (so it never takes a cron slot's place). */
    async runJob(req: { principal: Principal; job: string }): Promise<JobRunView> {
      requireOperator(req.principal, 'running jobs');
      const job = findJob(deps.jobs, req.job);
      return (await runSlot(deps, job, deps.clock())).run;
    },
  };
}
