import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import { DeadLetterView, RedriveResult, orchestratorCommands } from '@reelforge/contracts';
import { requireOperator } from '../auth/roles.ts';
import type { Forward } from '../http/forward.ts';
import { ErrorResponse, PageQuery, errorResponses } from '../http/schemas.ts';

/**
 * The shared DLQ for operators: list its letters (oldest first, paged by DLQ sequence) and redrive
 * one (its original payload goes back to its original subject and it leaves the DLQ). The
 * content-orchestrator serves both (`cmd.orchestrator.deadLetters.*`).
 */
export function registerDeadLetterRoutes(app: GatewayApp, forward: Forward): void {
  const Page = Type.Object({ items: Type.Array(DeadLetterView), nextCursor: Type.Union([Type.String(), Type.Null()]) });
  app.get(
    '/api/v1/admin/dead-letters',
    { schema: { querystring: PageQuery, response: { 200: Page, 403: ErrorResponse, ...errorResponses } } },
    async (req) => {
      requireOperator(req.principal, 'reading dead letters');
      return forward(orchestratorCommands.listDeadLetters, {
        principal: req.principal,
        ...req.query,
      });
    },
  );
  app.post(
    '/api/v1/admin/dead-letters/:id/redrive',
    {
      schema: {
        params: Type.Object(
          { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) },
          { additionalProperties: false },
        ),
        response: { 200: RedriveResult, 403: ErrorResponse, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req) => {
      requireOperator(req.principal, 'redriving dead letters');
      const { id } = req.params;
      return forward(orchestratorCommands.redriveDeadLetter, { principal: req.principal, id });
    },
  );
}
