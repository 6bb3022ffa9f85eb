import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import {
  CleanupSummary,
  JOB_RUN_STATUSES,
  JobRunView,
  orchestratorCommands,
  schedulerCommands,
} from '@reelforge/contracts';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, PageQuery, errorResponses } from '../http/schemas.ts';

/** System jobs an operator may run by hand (the scheduler fires the same commands on its cron). */
export function registerJobRoutes(app: GatewayApp, forward: Forward): void {
  const RunsQuery = Type.Object(
    {
      job: Type.Optional(Type.String({ maxLength: 100 })),
      status: Type.Optional(Type.Union(JOB_RUN_STATUSES.map((x) => Type.Literal(x)))),
      ...PageQuery.properties,
    },
    { additionalProperties: false },
  );
  // The scheduler records every run, one row per job and slot.
  app.get(
    '/api/v1/jobs/runs',
    {
      schema: {
        querystring: RunsQuery,
        response: {
          200: Type.Object({ items: Type.Array(JobRunView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          403: ErrorResponse,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      requireOperator(req.principal, 'reading job runs');
      return forward(schedulerCommands.listRuns, {
        principal: req.principal,
        ...req.query,
      });
    },
  );
  // Kept as it was: the orchestrator's cleanup answered directly with its summary (a static route wins over `:name`).
  app.post(
    '/api/v1/jobs/cleanup-stuck-generations/run',
    { schema: { response: { 200: CleanupSummary, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      requireOperator(req.principal, 'running jobs');
      return forward(orchestratorCommands.cleanupStuckGenerations, {});
    },
  );
  // Any scheduler job by name, run now in a slot of its own and recorded in job runs: 200 with the
  // finished run, or 202 with the run still going when it takes longer than SCHEDULER_MANUAL_RUN_WAIT.
  app.post(
    '/api/v1/jobs/:name/run',
    {
      schema: {
        params: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9_-]+$' }) },
          { additionalProperties: false },
        ),
        response: { 200: JobRunView, 202: JobRunView, 403: ErrorResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      requireOperator(req.principal, 'running jobs');
      const run = await forward(schedulerCommands.runJob, {
        principal: req.principal,
        job: req.params.name,
      });
      // Still running after the scheduler's wait: accepted; GET /jobs/runs shows how it ends.
      return reply.status(run.status === 'running' ? 202 : 200).send(run);
    },
  );
}
