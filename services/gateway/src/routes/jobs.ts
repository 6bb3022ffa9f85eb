import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { CleanupSummary, JOB_RUN_STATUSES, JobRunView, orchestratorCommands, schedulerCommands } from '@reelforge/contracts';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, PageQuery, errorResponses } from '../http/schemas.ts';

/** System jobs an operator may run by hand (the scheduler fires the same commands on its cron). */
export function registerJobRoutes(app: FastifyInstance, forward: Forward): void {
  const RunsQuery = Type.Object(
    { job: Type.Optional(Type.String({ maxLength: 100 })), status: Type.Optional(Type.Union(JOB_RUN_STATUSES.map((x) => Type.Literal(x)))), ...PageQuery.properties },
    { additionalProperties: false },
  );
  // The scheduler records every run, one row per job and slot.
  app.get('/api/v1/jobs/runs', { schema: { querystring: RunsQuery, response: { 200: Type.Object({ items: Type.Array(JobRunView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 403: ErrorResponse, ...errorResponses } } }, async (req) => {
    requireOperator(req.principal, 'reading job runs');
    return forward(schedulerCommands.listRuns, { principal: req.principal, ...(req.query as typeof RunsQuery.static) });
  });
  // Kept as it was: the orchestrator's cleanup answered directly with its summary (a static route wins over `:name`).
  app.post('/api/v1/jobs/cleanup-stuck-generations/run', { schema: { response: { 200: CleanupSummary, 403: ErrorResponse, ...errorResponses } } }, async (req) => {
    requireOperator(req.principal, 'running jobs');
    return forward(orchestratorCommands.cleanupStuckGenerations, {});
  });
  // Any scheduler job by name, run now in a slot of its own and recorded in job runs.
  app.post(
    '/api/v1/jobs/:name/run',
    { schema: { params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9_-]+$' }) }, { additionalProperties: false }), response: { 200: JobRunView, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      requireOperator(req.principal, 'running jobs');
      return forward(schedulerCommands.runJob, { principal: req.principal, job: (req.params as { name: string }).name });
    },
  );
}
