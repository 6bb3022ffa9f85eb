import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import type { ApiKeys } from '../auth/api-keys.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';

const KeyView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    roles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
        maxItems: 20,
        uniqueItems: true,
        description:
          "Roles the key carries. Each must be one the caller holds (else 403 naming it). Omitted: the caller's roles without `operator`, so a system-wide key must be asked for explicitly, by an operator. `[]` makes a key with no roles.",
      }),
    ),
  },
  { additionalProperties: false },
);

/** API keys for server-to-server callers: made by a signed-in principal, for itself; shown once. */
export function registerApiKeyRoutes(app: GatewayApp, keys: ApiKeys): void {
  app.post(
    '/api/v1/api-keys',
    {
      schema: {
        body: CreateKeyBody,
        response: {
          201: Type.Intersect([
            KeyView,
            Type.Object({ key: Type.String({ description: 'The secret, shown this once only' }) }),
          ]),
          403: ErrorResponse,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const body = req.body;
      return reply.status(201).send(await keys.create(req.principal, body.name, body.roles));
    },
  );
  app.get(
    '/api/v1/api-keys',
    { schema: { response: { 200: Type.Object({ items: Type.Array(KeyView) }), ...errorResponses } } },
    async (req) => ({ items: await keys.list(req.principal) }),
  );
  app.delete(
    '/api/v1/api-keys/:keyId',
    { schema: { params: IdParam('keyId'), response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await keys.revoke(req.principal, req.params.keyId);
      return reply.status(204).send(null);
    },
  );
}
