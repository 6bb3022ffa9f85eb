import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { CleanupSummary, JobRunView, orchestratorCommands, schedulerCommands } from '@reelforge/contracts';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, PageQuery, errorResponses } from '../http/schemas.ts';

/** System jobs an operator may run by hand (the scheduler fires the same commands on its cron). */
export function registerJobRoutes(app: FastifyInstance, forward: Forward): void {
  const RunsQuery = Type.Object({ job: Type.Optional(Type.String({ maxLength: 100 })), ...PageQuery.properties }, { additionalProperties: false });
  // The scheduler records every run (503 naming it until it serves this query).
  app.get('/api/v1/jobs/runs', { schema: { querystring: RunsQuery, response: { 200: Type.Object({ items: Type.Array(JobRunView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 403: ErrorResponse, ...errorResponses } } }, async (req) => {
    requireOperator(req.principal, 'reading job runs');
    return forward(schedulerCommands.listRuns, req.query as typeof RunsQuery.static);
  });
  app.post(
    '/api/v1/jobs/:name/run',
    { schema: { params: Type.Object({ name: Type.Literal('cleanup-stuck-generations') }, { additionalProperties: false }), response: { 200: CleanupSummary, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      requireOperator(req.principal, 'running jobs');
      return forward(orchestratorCommands.cleanupStuckGenerations, {});
    },
  );
}
