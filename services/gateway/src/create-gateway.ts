import Fastify, { type FastifyBaseLogger } from 'fastify';
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { Messaging } from '@reelforge/messaging';
import type { MikroORM } from '@reelforge/persistence';
import type { Platform, ReadinessCheck } from '@reelforge/service-kit';
import { installAuth } from './auth/auth-hook.ts';
import { createMediaLinks, mediaLinkKey, type MediaLinks } from './auth/media-links.ts';
import { registerMediaLinkRoutes } from './routes/media-links.ts';
import { compatIdentity, type CompatIdentityPolicy } from './compat/compat-identity.ts';
import { createCompatAccounts } from './compat/compat-account.ts';
import { registerCompatSurfaces } from './compat/register-compat-surfaces.ts';
import type { Cursor, StatusEvent } from './live/status-event.ts';
import { createApiKeys, verifyBearer } from './auth/api-keys.ts';
import { registerApiKeyRoutes } from './routes/api-keys.ts';
import { createTokenVerifier, type VerifyToken } from './auth/verify-token.ts';
import type { GatewayConfig } from './config.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { rejectNulCharacters } from './http/nul-characters.ts';
import { NoQuery } from './http/schemas.ts';
import { installIdempotency } from './http/idempotency.ts';
import { installApiDocs, installHttpPlugins, installRateLimit, type HttpPolicy } from './http/platform-plugins.ts';
import { registerContentRoutes } from './routes/content.ts';
import { registerSseRoutes } from './routes/sse.ts';
import { registerUploadRoutes } from './routes/uploads.ts';
import { createUploads } from './uploads/uploads.ts';
import multipart from '@fastify/multipart';
import { replayStatus } from './live/replay.ts';
import { createLocalMediaStore, type MediaStore } from '@reelforge/media-store';
import { createForward, type Forward } from './http/forward.ts';
import { startStatusFanout } from './live/status-fanout.ts';
import { readThroughForward } from './tasks/read-through-forward.ts';
import { createTaskReadModel } from './tasks/task-read-model.ts';
import { createSubscriptionRegistry, type SubscriptionRegistry } from './live/subscription-registry.ts';
import { registerAccountRoutes } from './routes/accounts.ts';
import { registerBacklogRoutes } from './routes/backlog.ts';
import { registerLibraryRoutes } from './routes/library.ts';
import { registerCatalogueRoutes } from './routes/catalogue.ts';
import { registerNotificationRoutes } from './routes/notifications.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { registerArticleRoutes } from './routes/articles.ts';
import { registerGenerationRoutes } from './routes/generations.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerDeadLetterRoutes } from './routes/dead-letters.ts';
import { registerTaskRoutes } from './routes/tasks.ts';
import { registerWsRoute } from './routes/ws.ts';
import { createConnectionCaps } from './live/connection-caps.ts';
import { createWriteScheduler } from './live/write-scheduler.ts';
import { parseTrustProxy, type TrustProxy } from './http/trust-proxy.ts';
import type { GatewayApp } from './http/gateway-app.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Tracer } from '@opentelemetry/api';
import type { Metrics } from '@reelforge/telemetry';
import { registerHttpMetrics } from './observability/http-metrics.ts';
import { registerDashboard } from './dashboard/serve-dashboard.ts';
import { registerHttpTracing } from './observability/http-tracing.ts';

export const SERVICE = 'gateway';

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: { method: string; url: string; hidden: boolean }[];
  }
}

export interface GatewayAppDeps {
  log: Logger;
  messaging: Messaging;
  store: MediaStore;
  policy: HttpPolicy;
  orm: MikroORM;
  schema: string;
  forward: Forward;
  verifyToken: VerifyToken;
  registry: SubscriptionRegistry;
  checks: Record<string, ReadinessCheck>;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** Deadlines and caps on connections; defaults suit tests that do not care. */
  limits?: Partial<HttpLimits>;
  /** How long a request holds its Idempotency-Key before a retry may take it over (2 × COMMAND_TIMEOUT). */
  idempotencyLeaseMs?: number;
  /** A server span per request (http-tracing.ts); none when absent. */
  tracer?: Tracer;
  /** HTTP and live-connection metrics (http-metrics.ts); none when absent. */
  metrics?: Metrics;
  /** Signs and checks media links; a random per-process key when absent. */
  mediaLinks?: MediaLinks;
  /** Compatibility surfaces to serve and who credential-less callers are (docs/compat.md); none when absent. */
  compat?: { surfaces: readonly string[]; identity: CompatIdentityPolicy };
}

interface HttpLimits {
  /** Bytes of uploads per caller (0 = no quota). */
  uploadQuotaBytes: number;
  /** Largest image upload (a logo), in bytes. */
  maxImageUploadBytes: number;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  uploadIdleTimeoutMs: number;
  liveConnectionsPerPrincipal: number;
  trustProxy: TrustProxy;
}

const DEFAULT_LIMITS: HttpLimits = {
  uploadQuotaBytes: 0,
  maxImageUploadBytes: 10 * 1024 ** 2,
  requestTimeoutMs: 15 * 60_000,
  connectionTimeoutMs: 120_000,
  uploadIdleTimeoutMs: 30_000,
  liveConnectionsPerPrincipal: 50,
  trustProxy: false,
};

/**
 * No request without a deadline: the whole request (headers and body), the headers alone
 * (slow-loris), and idle sockets; expiries are checked every few seconds, not Node's default 30.
 */
function createDeadlineServer(handler: RequestListener, limits: HttpLimits): Server {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.requestTimeoutMs, 30_000),
      connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(limits.requestTimeoutMs / 4))),
    },
    handler,
  );
  server.setTimeout(limits.connectionTimeoutMs);
  // Fastify's own default (Node's is 5 s, shorter than many clients' idle pools: resets on reuse).
  server.keepAliveTimeout = 72_000;
  return server;
}

const AJV_LOGGER = {
  log: () => undefined,
  warn: (...args: unknown[]) => {
    if (!String(args[0]).includes('option unicode')) console.warn(...args);
  },
  error: (...args: unknown[]) => console.error(...args),
};

/** Builds the HTTP app without listening (tests use `inject` or listen on port 0). */
export async function buildGatewayApp(deps: GatewayAppDeps): Promise<GatewayApp> {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  // Fastify's instance type follows the logger's: widen to its base type so routes see the default instance.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    serverFactory: (handler) => createDeadlineServer(handler, limits),
    trustProxy: limits.trustProxy,
    bodyLimit: 1024 * 1024,
    // Media links carry their signed claims in the path (routes/media-links.ts); ids are UUIDs.
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    // `uuid`: exactly the 8-4-4-4-12 form (ajv-formats also takes `urn:uuid:…`, which PostgreSQL
    // refuses); `unicode: false`: lengths in UTF-16 units, as the owners' validators count them.
    // (set in onCreate, which runs after ajv-formats has added its own).
    ajv: {
      // ajv calls `unicode` deprecated but still honours it; its notice is dropped, other warnings kept.
      customOptions: {
        removeAdditional: false,
        coerceTypes: 'array',
        allErrors: false,
        unicode: false,
        logger: AJV_LOGGER,
      },
      onCreate: (ajv: { addFormat(name: string, format: RegExp): unknown }) =>
        ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i),
    },
    // Types only: route handlers see their schemas' types; validation stays with the Ajv above.
  }).withTypeProvider<TypeBoxTypeProvider>();
  // First: every later hook and the handler run inside the request's span.
  if (deps.tracer) registerHttpTracing(app, deps.tracer);
  const caps = createConnectionCaps(limits.liveConnectionsPerPrincipal);
  if (deps.metrics) registerHttpMetrics(app, deps.metrics, caps.total);
  // Every route as registered, so a test can check the OpenAPI document covers each one.
  const routes: { method: string; url: string; hidden: boolean }[] = [];
  app.addHook('onRoute', (route) => {
    // Unknown query parameters are rejected like unknown body fields: a route without a query
    // schema takes no query string at all.
    if (route.url.startsWith('/api/v1/') && !route.schema?.querystring)
      route.schema = { ...route.schema, querystring: NoQuery };
    for (const method of [route.method].flat())
      routes.push({ method, url: route.url, hidden: Boolean(route.schema?.hide) });
  });
  app.decorate('registeredRoutes', routes);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  installErrorHandler(app);
  rejectNulCharacters(app);
  await installHttpPlugins(app, deps.policy);
  // No permessage-deflate (ws's default, stated here because the live outbox depends on it): ws
  // then writes every frame synchronously, so pre-framed events written straight to the TCP
  // socket cannot land inside one of its frames (live/socket-outbox.ts).
  await app.register(websocket, { options: { maxPayload: 64 * 1024, perMessageDeflate: false } });
  await installRateLimit(app, deps.policy); // first: its per-address hook must run before authentication
  const apiKeys = createApiKeys({ orm: deps.orm, schema: deps.schema, log: deps.log });
  const mediaLinks = deps.mediaLinks ?? createMediaLinks(randomBytes(32));
  installAuth(
    app,
    verifyBearer(deps.verifyToken, apiKeys),
    mediaLinks,
    deps.compat ? compatIdentity(deps.compat.identity) : undefined,
  );
  installIdempotency(app, { orm: deps.orm, schema: deps.schema, leaseMs: deps.idempotencyLeaseMs ?? 10_000 });
  await installApiDocs(app);
  registerHealthRoutes(app, deps.checks);
  registerDashboard(app);
  const uploads = createUploads({
    orm: deps.orm,
    schema: deps.schema,
    store: deps.store,
    ffprobePath: deps.policy.ffprobePath,
    quotaBytes: limits.uploadQuotaBytes,
  });
  await app.register(multipart);
  // 2 s: long enough to spare the orchestrator a request per call under load, short against staleness.
  registerAccountRoutes(app, deps.forward, { allowPrivate: deps.policy.sourceUrlAllowPrivate }, uploads);
  registerUploadRoutes(app, {
    uploads,
    maxBytes: deps.policy.maxUploadBytes,
    maxImageBytes: limits.maxImageUploadBytes,
    idleMs: limits.uploadIdleTimeoutMs,
  });
  registerGenerationRoutes(app, deps.forward, uploads, { allowPrivate: deps.policy.sourceUrlAllowPrivate });
  registerCatalogueRoutes(app, deps.forward);
  registerBacklogRoutes(app, deps.forward);
  registerLibraryRoutes(app, deps.forward, uploads, { allowPrivate: deps.policy.sourceUrlAllowPrivate });
  registerNotificationRoutes(app, deps.forward);
  registerWebhookRoutes(app, deps.forward);
  registerTaskRoutes(app, deps.forward, uploads, { allowPrivate: deps.policy.sourceUrlAllowPrivate });
  registerArticleRoutes(app, deps.forward, { allowPrivate: deps.policy.sourceUrlAllowPrivate });
  registerJobRoutes(app, deps.forward);
  registerDeadLetterRoutes(app, deps.forward);
  registerApiKeyRoutes(app, apiKeys);
  registerContentRoutes(app, { forward: deps.forward, store: deps.store });
  registerMediaLinkRoutes(app, { forward: deps.forward, store: deps.store, links: mediaLinks });
  const live = {
    caps,
    forward: deps.forward,
    messaging: deps.messaging,
    registry: deps.registry,
    replay: (accountId: string, since: Cursor, keep: (e: StatusEvent) => boolean) =>
      replayStatus(deps.messaging, accountId, since, keep),
    heartbeatMs: deps.heartbeatMs,
    maxBufferedBytes: deps.maxBufferedBytes,
    // One per instance: every socket's frames of an event-loop turn are flushed together.
    scheduler: createWriteScheduler(),
    log: deps.log,
  };
  registerSseRoutes(app, { ...live, heartbeatMs: Math.min(15_000, deps.heartbeatMs) });
  registerWsRoute(app, live);
  if (deps.compat)
    registerCompatSurfaces(app, deps.compat.surfaces, {
      ...live,
      store: deps.store,
      uploads,
      uploadLimits: {
        maxBytes: deps.policy.maxUploadBytes,
        maxImageBytes: limits.maxImageUploadBytes,
        idleMs: limits.uploadIdleTimeoutMs,
      },
      checks: deps.checks,
      links: mediaLinks,
      sourcePolicy: { allowPrivate: deps.policy.sourceUrlAllowPrivate },
      accounts: createCompatAccounts(deps.forward),
    });
  return app;
}

/** Wires the gateway onto a started platform and listens; returns the bound port. */
export async function createGateway(
  platform: Platform,
  config: GatewayConfig,
): Promise<{ port: number; app: GatewayApp }> {
  const registry = createSubscriptionRegistry();
  const linkKey = mediaLinkKey(config);
  if (linkKey.ephemeral)
    platform.log.warn(
      'media links are signed with a per-process key: they stop working on restart and on other gateway instances; set MEDIA_LINK_SECRET',
    );
  const taskReadModel = createTaskReadModel({
    capacity: config.TASK_READ_MODEL_SIZE,
    maxAgeMs: config.TASK_READ_MODEL_MAX_AGE,
    runningMaxAgeMs: config.TASK_READ_MODEL_RUNNING_MAX_AGE,
    metrics: platform.metrics,
  });
  const fanout = await startStatusFanout(
    platform.messaging,
    registry,
    platform.log,
    config.NATS_STREAM_REPLICAS,
    taskReadModel,
  );
  platform.shutdown.add('status-fanout', () => fanout.stop());
  platform.checks['status-fanout'] = () => fanout.check();
  const app = await buildGatewayApp({
    log: platform.log,
    messaging: platform.messaging,
    store: createLocalMediaStore(config.MEDIA_ROOT),
    policy: {
      corsOrigins: [...config.CORS_ORIGINS],
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      rateLimitPerIpPerMinute: config.RATE_LIMIT_PER_IP_PER_MINUTE,
      authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
      sourceUrlAllowPrivate: config.SOURCE_URL_ALLOW_PRIVATE,
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      ffprobePath: config.FFPROBE_PATH,
    },
    orm: platform.orm,
    schema: platform.schema,
    forward: readThroughForward(createForward(platform.messaging, config.COMMAND_TIMEOUT, platform.log), taskReadModel),
    verifyToken: createTokenVerifier({
      secret: config.JWT_SECRET,
      jwksUrl: config.JWT_JWKS_URL,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      // A client sends the same token with every request: its signature is checked once a minute.
      cache: { maxEntries: 10_000, maxAgeMs: 60_000 },
    }),
    registry,
    checks: platform.checks,
    heartbeatMs: config.WS_HEARTBEAT_INTERVAL,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    idempotencyLeaseMs: 2 * config.COMMAND_TIMEOUT,
    tracer: platform.tracer,
    metrics: platform.metrics,
    mediaLinks: createMediaLinks(linkKey.key),
    compat: {
      surfaces: config.COMPAT_SURFACES,
      identity: {
        principal: config.COMPAT_PRINCIPAL,
        origins: config.COMPAT_ORIGINS,
        loopback: config.COMPAT_LOOPBACK,
      },
    },
    limits: {
      uploadQuotaBytes: config.UPLOAD_STORAGE_QUOTA_BYTES,
      maxImageUploadBytes: config.MAX_IMAGE_UPLOAD_BYTES,
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT,
      connectionTimeoutMs: config.HTTP_CONNECTION_TIMEOUT,
      uploadIdleTimeoutMs: config.UPLOAD_IDLE_TIMEOUT,
      liveConnectionsPerPrincipal: config.LIVE_CONNECTIONS_PER_PRINCIPAL,
      trustProxy: parseTrustProxy(config.TRUST_PROXY),
    },
  });
  // A burst of new connections (a thousand clients at once) waits in the accept queue instead of
  // being reset: Node's default backlog is 511; the kernel caps this at net.core.somaxconn.
  await app.listen({ port: config.PORT, host: config.HOST, backlog: 4096 });
  platform.shutdown.add('http', () => app.close());
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : config.PORT };
}
