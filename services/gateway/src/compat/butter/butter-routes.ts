import { Type } from '@sinclair/typebox';
import { DomainError, orchestratorCommands, repurposerCommands, type Principal } from '@reelforge/contracts';
import type { Forward } from '../../http/forward.ts';
import type { GatewayApp } from '../../http/gateway-app.ts';
import { IdParam } from '../../http/schemas.ts';
import { holdLiveConnection, type ConnectionCaps } from '../../live/connection-caps.ts';
import { streamStatus, type SseDeps } from '../../live/sse-stream.ts';
import type { CompatAccounts } from '../compat-account.ts';
import { toSnakeCase } from '../snake-case.ts';

export interface ButterDeps extends SseDeps {
  forward: Forward;
  caps: ConnectionCaps;
  accounts: CompatAccounts;
}

const compat = { compat: true } as const;
const Uuid = Type.String({ format: 'uuid' });
const AccountQuery = Type.Object({ account_id: Type.Optional(Uuid) }, { additionalProperties: false });

/**
 * Butter's repurposer task routes and generation status/history/events ("Butter Backend", API
 * Endpoints) over v1, in its snake_case. Its scheduler job names are aliases in the scheduler, and
 * its account fields are accepted by v1's account PATCH. Mapping and differences: docs/compat.md.
 */
export function registerButterRoutes(app: GatewayApp, deps: ButterDeps): void {
  const { forward } = deps;
  /** The account a call is about: the one named (the caller's, else 404), or the caller's oldest. */
  const accountOf = async (principal: Principal, accountId: string | undefined) => {
    if (accountId) return (await forward(orchestratorCommands.getAccount, { principal, accountId })).id;
    const found = await deps.accounts.find(principal);
    if (!found) throw new DomainError('NOT_FOUND', 'the caller has no account: create one with POST /api/v1/accounts');
    return found;
  };

  const TaskParam = IdParam('taskID');
  app.get(
    '/api/v1/repurposer/tasks/:taskID',
    { config: compat, schema: { hide: true, params: TaskParam } },
    async (req) =>
      toSnakeCase(await forward(repurposerCommands.getTask, { principal: req.principal, taskId: req.params.taskID })),
  );
  app.get(
    '/api/v1/repurposer/tasks',
    {
      config: compat,
      schema: {
        hide: true,
        querystring: Type.Object(
          {
            account_id: Type.Optional(Uuid),
            status: Type.Optional(Type.String({ maxLength: 32 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await forward(repurposerCommands.listTasks, {
        principal: req.principal,
        ...(q.account_id ? { accountId: q.account_id } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return toSnakeCase({ tasks: page.items, nextCursor: page.nextCursor });
    },
  );
  for (const action of ['retry', 'cancel'] as const)
    app.post(
      `/api/v1/repurposer/tasks/:taskID/${action}`,
      { config: compat, schema: { hide: true, params: TaskParam } },
      async (req) =>
        toSnakeCase(
          await forward(action === 'retry' ? repurposerCommands.retryTask : repurposerCommands.cancelTask, {
            principal: req.principal,
            taskId: req.params.taskID,
          }),
        ),
    );
  app.get('/api/v1/repurposer/stats', { config: compat, schema: { hide: true } }, async (req) =>
    toSnakeCase(await forward(repurposerCommands.taskStats, { principal: req.principal })),
  );

  app.get(
    '/api/v2/content/generation/status',
    { config: compat, schema: { hide: true, querystring: AccountQuery } },
    async (req) => {
      const accountId = await accountOf(req.principal, req.query.account_id);
      const open = await forward(orchestratorCommands.listGenerations, {
        principal: req.principal,
        accountId,
        onlyOpen: true,
        limit: 100,
      });
      return toSnakeCase({ accountId, isGenerating: open.items.length > 0, generations: open.items });
    },
  );
  app.get(
    '/api/v2/content/generation/history',
    {
      config: compat,
      schema: {
        hide: true,
        querystring: Type.Object(
          {
            account_id: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const q = req.query;
      const accountId = await accountOf(req.principal, q.account_id);
      const page = await forward(orchestratorCommands.listGenerations, {
        principal: req.principal,
        accountId,
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return toSnakeCase({ accountId, generations: page.items, nextCursor: page.nextCursor });
    },
  );
  app.get(
    '/api/v2/content/generation/events',
    {
      config: compat,
      preHandler: holdLiveConnection(deps.caps),
      schema: { hide: true, querystring: AccountQuery },
    },
    async (req, reply) => {
      const accountId = await accountOf(req.principal, req.query.account_id); // nothing streams before this
      await streamStatus(req, reply, deps, {
        id: accountId,
        accountId,
        keep: () => true,
        dialect: (m) => [{ event: String(m.type), data: toSnakeCase(m) as Record<string, unknown> }],
      });
    },
  );
}
