import type { GatewayApp } from '../http/gateway-app.ts';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  AccountView,
  DomainError,
  CreditTransactionView,
  CreditsView,
  GrantCreditsBody,
  creditCommands,
  requireOperator,
  CreateAccountBody,
  RegisterSourceBody,
  SourceView,
  StorageUsage,
  UpdateAccountBody,
  orchestratorCommands,
  repurposerCommands,
} from '@reelforge/contracts';
import type { Forward } from '../http/forward.ts';
import { resolveSource } from '../uploads/resolve-source.ts';
import type { Uploads } from '../uploads/uploads.ts';
import { ErrorResponse, IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

const AccountStorage = Type.Object(
  {
    ...StorageUsage.properties,
    mediaRetentionDays: Type.Union([Type.Integer(), Type.Null()], {
      description: "the account's clip retention (null = the service default)",
    }),
  },
  { description: 'Bytes of clips the account keeps against its quota (0 = none), and how long new clips are kept' },
);

export function registerAccountRoutes(
  app: GatewayApp,
  forward: Forward,
  sourcePolicy: { allowPrivate: boolean },
  uploads: Uploads,
): void {
  app.post(
    '/api/v1/accounts',
    { schema: { body: CreateAccountBody, response: { 201: AccountView, ...errorResponses } } },
    async (req, reply) => {
      return reply.status(201).send(
        await forward(orchestratorCommands.createAccount, {
          principal: req.principal,
          body: req.body,
        }),
      );
    },
  );
  app.get(
    '/api/v1/accounts',
    { schema: { response: { 200: Type.Object({ items: Type.Array(AccountView) }), ...errorResponses } } },
    async (req) => forward(orchestratorCommands.listAccounts, { principal: req.principal }),
  );
  app.get(
    '/api/v1/accounts/:accountId',
    { schema: { params: IdParam('accountId'), response: { 200: AccountView, ...errorResponses } } },
    async (req) => {
      const { accountId } = req.params;
      return forward(orchestratorCommands.getAccount, { principal: req.principal, accountId });
    },
  );
  app.get(
    '/api/v1/accounts/:accountId/storage',
    { schema: { params: IdParam('accountId'), response: { 200: AccountStorage, ...errorResponses } } },
    async (req) => {
      const { accountId } = req.params;
      const account = await forward(orchestratorCommands.getAccount, { principal: req.principal, accountId });
      const usage = await forward(repurposerCommands.contentUsage, { principal: req.principal, accountId });
      return { ...usage, mediaRetentionDays: account.mediaRetentionDays };
    },
  );
  app.post(
    '/api/v1/accounts/:accountId/sources',
    {
      schema: {
        params: IdParam('accountId'),
        body: RegisterSourceBody,
        response: { 201: SourceView, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { accountId } = req.params;
      const body = req.body;
      const kind = 'kind' in body ? body.kind : undefined;
      if (kind === 'article' && body.captionsUrl)
        throw new DomainError(
          'VALIDATION_FAILED',
          'an article source takes no captions: its captions come from its narration',
          { field: 'body/captionsUrl' },
        );
      const location = await resolveSource(body, req.principal, uploads, sourcePolicy);
      const source = await forward(orchestratorCommands.registerSource, {
        principal: req.principal,
        accountId,
        body: { ...location, ...(kind ? { kind } : {}) },
      });
      return reply.status(201).send(source);
    },
  );
  app.patch(
    '/api/v1/accounts/:accountId',
    {
      preValidation: acceptSnakeCaseFields,
      schema: {
        params: IdParam('accountId'),
        body: UpdateAccountBody,
        response: { 200: AccountView, 422: ErrorResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { accountId } = req.params;
      return forward(orchestratorCommands.updateAccount, {
        principal: req.principal,
        accountId,
        body: req.body,
      });
    },
  );
  app.get(
    '/api/v1/accounts/:accountId/sources',
    {
      schema: {
        params: IdParam('accountId'),
        querystring: PageQuery,
        response: {
          200: Type.Object({ items: Type.Array(SourceView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { accountId } = req.params;
      return forward(orchestratorCommands.listSources, {
        principal: req.principal,
        accountId,
        ...req.query,
      });
    },
  );
  // Credits are the orchestrator's (owned with accounts): the owner reads them, an operator grants them.
  app.get(
    '/api/v1/accounts/:accountId/credits',
    {
      schema: {
        params: IdParam('accountId'),
        querystring: PageQuery,
        response: { 200: CreditsView, ...errorResponses },
      },
    },
    async (req) =>
      forward(creditCommands.getCredits, {
        principal: req.principal,
        accountId: req.params.accountId,
        ...req.query,
      }),
  );
  app.post(
    '/api/v1/accounts/:accountId/credits/grants',
    {
      config: { idempotent: true },
      schema: {
        params: IdParam('accountId'),
        body: GrantCreditsBody,
        response: {
          201: Type.Object({ transaction: CreditTransactionView, balance: Type.Integer() }),
          403: ErrorResponse,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      requireOperator(req.principal, 'granting credits');
      const granted = await forward(creditCommands.grantCredits, {
        principal: req.principal,
        accountId: req.params.accountId,
        body: req.body,
        ...(req.idempotency ? { idempotencyKey: req.idempotency.key } : {}),
      });
      return reply.status(201).send(granted);
    },
  );
}

/** The snake_case names clients of the replaced Butter backend send (docs/compat.md), as deprecated aliases. */
const SNAKE_ALIASES: Record<string, string> = {
  auto_generate_enabled: 'autoGenerateEnabled',
  auto_generate_hour: 'autoGenerateHour',
  auto_generate_type: 'autoGenerateType',
  auto_generate_count: 'autoGenerateCount',
  media_retention_days: 'mediaRetentionDays',
};

/** Moves each alias onto its documented field before validation; both spellings with different values are a 400. */
async function acceptSnakeCaseFields(req: FastifyRequest): Promise<void> {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const fields = body as Record<string, unknown>;
  for (const [alias, name] of Object.entries(SNAKE_ALIASES)) {
    if (!Object.hasOwn(fields, alias)) continue;
    if (Object.hasOwn(fields, name) && JSON.stringify(fields[name]) !== JSON.stringify(fields[alias]))
      throw new DomainError(
        'VALIDATION_FAILED',
        `fields ${name} and ${alias} (its snake_case alias) differ: send ${name} only`,
        {
          field: `body/${alias}`,
        },
      );
    fields[name] = fields[alias];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the alias is one of a fixed list
    delete fields[alias];
  }
}
