import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@reelforge/contracts';
import { createAuthFailures } from '../auth/auth-failures.ts';
import { markDeprecatedParameters } from './query-aliases.ts';
import { ErrorResponse } from './schemas.ts';

export interface HttpPolicy {
  corsOrigins: string[];
  rateLimitPerMinute: number;
  /** Requests per minute per client address, counted before authentication. */
  rateLimitPerIpPerMinute: number;
  /** Failed authentications (401) per minute per client address before it is refused unheard. */
  authFailuresPerMinute: number;
  /** Accept source URLs that resolve to private or loopback addresses (local development). */
  sourceUrlAllowPrivate: boolean;
  maxUploadBytes: number;
  ffprobePath: string;
}

/** Security headers, CORS and the OpenAPI document: registered before any route. */
export async function installHttpPlugins(app: FastifyInstance, policy: HttpPolicy): Promise<void> {
  await app.register(helmet, { global: true });
  await app.register(cors, {
    origin: policy.corsOrigins.length ? policy.corsOrigins : false,
    credentials: false,
    exposedHeaders: ['x-request-id', 'retry-after', 'content-range', 'accept-ranges', 'idempotent-replayed'],
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Reelforge API',
        version: '1.0.0',
        description:
          'Turns long videos into short vertical clips. Errors: `{ error: { code, message, details? } }` (docs/errors.md). Live status: WebSocket `GET /api/v1/ws` (bearer header or `?token=`): send `{subscribe: taskOrGenerationId}` or `{subscribe_account: accountId}`, receive `subscribed`, a snapshot, then `job_progress` / `job_status` messages, each with a per-connection `seq`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        schemas: { Error: ErrorResponse },
      },
      security: [{ bearer: [] }],
    },
    // Deprecated query spellings (`account_id`) say so on the parameter itself, where readers look.
    transformObject: (document) =>
      'openapiObject' in document ? markDeprecatedParameters(document.openapiObject) : document.swaggerObject,
  });
}

/**
 * The client's address. The gateway sets no `trustProxy`, so this is the socket's peer address and
 * forwarding headers are ignored (they would let a caller pick its own budget); behind a proxy
 * every client shares the proxy's address.
 */
const addressOf = (req: FastifyRequest) => req.ip;

const rateLimited = (reply: FastifyReply, retryAfterSeconds: number, message: string) => {
  void reply.header('retry-after', retryAfterSeconds);
  return new DomainError('RATE_LIMITED', `${message}; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
};

/**
 * Two budgets, each answered with 429, Retry-After and the usual error body; health and the API
 * docs are never limited.
 * - Per client address, in `onRequest` BEFORE authentication, so unauthenticated calls and
 *   credential guesses are limited too and cost no verification. Its hook is an application hook
 *   added here, so this must be installed before installAuth (hooks run in the order added; a
 *   route-level hook, which the plugin's own `hook: 'onRequest'` would add, runs after them all).
 *   An address with too many failed authentications in the last minute is refused unheard.
 * - Per principal, after authentication (`preHandler`), so tenants behind one proxy address do not
 *   spend each other's budget.
 */
export async function installRateLimit(app: FastifyInstance, policy: HttpPolicy): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: policy.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => (req.principal ? `p:${req.principal.id}` : `ip:${req.ip}`),
    allowList: (req: FastifyRequest) => Boolean(req.routeOptions.config?.public),
    errorResponseBuilder: (_req, ctx) =>
      new DomainError(
        'RATE_LIMITED',
        `more than ${ctx.max} requests in a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
        { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) },
      ),
  });
  // Same plugin, its own store; the allow list (public routes) is inherited.
  const perAddress = app.createRateLimit({
    max: policy.rateLimitPerIpPerMinute,
    timeWindow: 60_000,
    keyGenerator: addressOf,
  });
  const authFailures = createAuthFailures({ max: policy.authFailuresPerMinute, windowMs: 60_000 });
  app.addHook('onRequest', async (req, reply) => {
    const limit = await perAddress(req);
    if (limit.isAllowed) return; // a public route
    if (limit.isExceeded)
      throw rateLimited(reply, limit.ttlInSeconds, `more than ${limit.max} requests in a minute from this address`);
    const wait = authFailures.retryAfterSeconds(addressOf(req));
    if (wait > 0)
      throw rateLimited(
        reply,
        wait,
        `too many failed authentications (${policy.authFailuresPerMinute} a minute) from this address`,
      );
  });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 401) authFailures.record(addressOf(req));
  });
}

/** `GET /api/v1/openapi.json` and the docs UI at `/docs`: public, they hold no tenant data. */
export async function installApiDocs(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  // The UI's own routes carry no auth marker: mark them public as they are added.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config as object), public: true };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
