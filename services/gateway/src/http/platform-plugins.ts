import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@reelforge/contracts';
import { ErrorResponse } from './schemas.ts';

export interface HttpPolicy {
  corsOrigins: string[];
  rateLimitPerMinute: number;
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
      info: { title: 'Reelforge API', version: '1.0.0', description: 'Turns long videos into short vertical clips. Errors: `{ error: { code, message, details? } }` (docs/errors.md). Live status: WebSocket `GET /api/v1/ws` (bearer header or `?token=`): send `{subscribe: taskOrGenerationId}` or `{subscribe_account: accountId}`, receive `subscribed`, a snapshot, then `job_progress` / `job_status` messages, each with a per-connection `seq`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: { Error: ErrorResponse } },
      security: [{ bearer: [] }],
    },
  });
}

/**
 * Rate limit per principal, after authentication (so the key is the caller, not a shared proxy IP);
 * a 429 carries Retry-After and the usual error body.
 */
export async function installRateLimit(app: FastifyInstance, policy: HttpPolicy): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: policy.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => (req.principal ? `p:${req.principal.id}` : `ip:${req.ip}`),
    allowList: (req: FastifyRequest) => Boolean(req.routeOptions.config?.public),
    errorResponseBuilder: (_req, ctx) => new DomainError('RATE_LIMITED', `more than ${ctx.max} requests in a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`, { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) }),
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
