import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { GenerationView } from './events.ts';
import { RenderOptions } from './render-options.ts';

const Uuid = Type.String({ format: 'uuid' });

/** The caller on whose behalf a command runs; owners scope every read and write to it. */
export const Principal = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), roles: Type.Array(Type.String()) });
export type Principal = Static<typeof Principal>;

export interface CommandDeclaration<Req extends TSchema, Res extends TSchema> {
  subject: string;
  request: Req;
  response: Res;
}

function command<Req extends TSchema, Res extends TSchema>(subject: string, request: Req, response: Res): CommandDeclaration<Req, Res> {
  return { subject, request, response };
}

export const AccountView = Type.Object({
  id: Uuid,
  name: Type.String(),
  timezone: Type.String(),
  autoGenerateEnabled: Type.Boolean(),
  autoGenerateHour: Type.Union([Type.Integer({ minimum: 0, maximum: 23 }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type AccountView = Static<typeof AccountView>;

export const SourceView = Type.Object({
  id: Uuid,
  accountId: Uuid,
  url: Type.String(),
  state: Type.Union(['available', 'reserved', 'used', 'failed'].map((s) => Type.Literal(s))),
  createdAt: Type.String({ format: 'date-time' }),
});
export type SourceView = Static<typeof SourceView>;

export const CreateAccountBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  autoGenerateEnabled: Type.Optional(Type.Boolean()),
  autoGenerateHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23 })),
}, { additionalProperties: false });

export const RegisterSourceBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' }),
}, { additionalProperties: false });

export const StartGenerationBody = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  options: Type.Optional(RenderOptions),
}, { additionalProperties: false });

/** Request/reply commands owned by the content-orchestrator (queue group = service name). */
export const orchestratorCommands = {
  createAccount: command('cmd.orchestrator.accounts.create', Type.Object({ principal: Principal, body: CreateAccountBody }), AccountView),
  getAccount: command('cmd.orchestrator.accounts.get', Type.Object({ principal: Principal, accountId: Uuid }), AccountView),
  listAccounts: command('cmd.orchestrator.accounts.list', Type.Object({ principal: Principal }), Type.Object({ items: Type.Array(AccountView) })),
  registerSource: command('cmd.orchestrator.sources.register', Type.Object({ principal: Principal, accountId: Uuid, body: RegisterSourceBody }), SourceView),
  startGeneration: command(
    'cmd.orchestrator.generations.start',
    Type.Object({ principal: Principal, accountId: Uuid, body: StartGenerationBody }),
    Type.Object({ generation: GenerationView, shortBy: Type.Integer({ minimum: 0 }) }),
  ),
  getGeneration: command('cmd.orchestrator.generations.get', Type.Object({ principal: Principal, generationId: Uuid }), GenerationView),
} as const;
