import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

/**
 * The gateway's Fastify instance with the TypeBox type provider: a route's handler sees `req.body`,
 * `req.query` and `req.params` typed from its schema. Types only: the schemas are still compiled
 * by Fastify's own Ajv (configured in create-gateway.ts).
 */
export type GatewayApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
