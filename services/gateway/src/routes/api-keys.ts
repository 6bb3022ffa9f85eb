import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiKeys } from '../auth/api-keys.ts';
import { IdParam, errorResponses } from '../http/schemas.ts';

const KeyView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** API keys for server-to-server callers: made by a signed-in principal, for itself; shown once. */
export function registerApiKeyRoutes(app: FastifyInstance, keys: ApiKeys): void {
  app.post(
    '/api/v1/api-keys',
    { schema: { body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: { 201: Type.Intersect([KeyView, Type.Object({ key: Type.String({ description: 'The secret, shown this once only' }) })]), ...errorResponses } } },
    async (req, reply) => reply.status(201).send(await keys.create(req.principal, (req.body as { name: string }).name)),
  );
  app.get('/api/v1/api-keys', { schema: { response: { 200: Type.Object({ items: Type.Array(KeyView) }), ...errorResponses } } }, async (req) => ({ items: await keys.list(req.principal) }));
  app.delete('/api/v1/api-keys/:keyId', { schema: { params: IdParam('keyId'), response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await keys.revoke(req.principal, (req.params as { keyId: string }).keyId);
    return reply.status(204).send();
  });
}
