import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { CleanupSummary, DomainError, orchestratorCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, errorResponses } from '../http/schemas.ts';

/** Jobs an admin may run by hand (the scheduler fires the same commands on its cron). */
export function registerJobRoutes(app: FastifyInstance, forward: Forward): void {
  app.post(
    '/api/v1/jobs/:name/run',
    { schema: { params: Type.Object({ name: Type.Literal('cleanup-stuck-generations') }, { additionalProperties: false }), response: { 200: CleanupSummary, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      if (!req.principal.roles.includes('admin')) throw new DomainError('FORBIDDEN', 'running jobs needs the admin role');
      return forward(orchestratorCommands.cleanupStuckGenerations, {});
    },
  );
}
