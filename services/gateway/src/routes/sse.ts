import { holdLiveConnection, type ConnectionCaps } from '../live/connection-caps.ts';
import { Type } from '@sinclair/typebox';
import { DomainError, orchestratorCommands, repurposerCommands } from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import type { GatewayApp } from '../http/gateway-app.ts';
import { withQueryAliases } from '../http/query-aliases.ts';
import { IdParam, errorResponses } from '../http/schemas.ts';
import { streamStatus, type SseDeps } from '../live/sse-stream.ts';
import { parseCursor, taskStatusMessage, type StatusEvent } from '../live/status-event.ts';

const Stream = {
  200: Type.String({ description: 'text/event-stream: `id:` is the resume cursor (send it back as `Last-Event-ID`)' }),
  ...errorResponses,
};
const TaskStream = {
  ...Stream,
  200: Type.String({
    description:
      'text/event-stream: a `job_status` snapshot of the task first, then its facts; ends after its terminal status. `id:` is the resume cursor (send it back as `Last-Event-ID`)',
  }),
  204: Type.Null({
    description:
      'Reconnected (`Last-Event-ID`) to a task that has ended since nothing after that cursor: there is nothing more to send, and an EventSource stops reconnecting',
  }),
};

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** A task's `job_status` with a terminal status: nothing follows it (a retry is a new stream). */
const isTerminalStatus = (message: Record<string, unknown>) =>
  message.type === 'job_status' && TERMINAL.has(String((message.status as { status?: unknown } | undefined)?.status));

/** Server-Sent Events twins of the WebSocket: one task, or a whole account. */
export function registerSseRoutes(app: GatewayApp, deps: SseDeps & { caps: ConnectionCaps; forward: Forward }): void {
  // Each stream counts against its caller's live connections until its response closes.
  const preHandler = holdLiveConnection(deps.caps);
  // `accountId` is required, but may come as its deprecated spelling `account_id` alone: the schema
  // (and so the OpenAPI document) has to call each optional, and the absence of both is refused here.
  const eventsQuery = withQueryAliases(
    Type.Object(
      {
        accountId: Type.Optional(
          Type.String({ format: 'uuid', description: 'Required (or its deprecated spelling `account_id`).' }),
        ),
      },
      { additionalProperties: false },
    ),
    { account_id: 'accountId' },
  );
  app.get(
    '/api/v1/events',
    {
      preValidation: eventsQuery.preValidation,
      preHandler,
      schema: { querystring: eventsQuery.querystring, response: Stream },
    },
    async (req, reply) => {
      const { accountId } = req.query;
      if (!accountId)
        throw new DomainError('VALIDATION_FAILED', "querystring must have required property 'accountId'", {
          field: 'querystring/accountId',
        });
      await deps.forward(orchestratorCommands.getAccount, { principal: req.principal, accountId }); // 404 unless the caller's
      await streamStatus(req, reply, deps, { id: accountId, accountId, keep: () => true });
    },
  );
  app.get(
    '/api/v1/tasks/:taskId/events',
    { preHandler, schema: { params: IdParam('taskId'), response: TaskStream } },
    async (req, reply) => {
      const { taskId } = req.params;
      const getTask = () => deps.forward(repurposerCommands.getTask, { principal: req.principal, taskId });
      const task = await getTask(); // 404 unless the caller's: nothing is streamed before this
      const keep = (e: StatusEvent) => e.taskId === taskId;
      // An EventSource reconnects whenever a stream ends; one that already had the end is told there is no more.
      const since = parseCursor(req.headers['last-event-id']);
      if (since && TERMINAL.has(task.status) && (await deps.replay(task.accountId, since, keep)).length === 0)
        return reply.status(204).send(null);
      await streamStatus(req, reply, deps, {
        id: taskId,
        accountId: task.accountId,
        keep,
        snapshot: async () => ({ ...taskStatusMessage(await getTask()), snapshot: true }),
        isLast: isTerminalStatus,
      });
    },
  );
}
