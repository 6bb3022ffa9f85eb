import type { MigrationObject } from '@mikro-orm/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Tracer } from '@opentelemetry/api';
import {
  connectNats,
  createMessaging,
  ensureStream,
  namespaceFrom,
  natsCheck,
  type Messaging,
  type NatsAuthSettings,
} from '@reelforge/messaging';
import { createOrm, databaseCheck, migrate, type MikroORM } from '@reelforge/persistence';
import { STREAMS, type StreamDeclaration } from '@reelforge/contracts';
import { createLogger, createMetrics, initTelemetry, type Logger, type Metrics } from '@reelforge/telemetry';
import { startHealthServer } from './health-server.ts';
import { registerPlatformMetrics } from './platform-metrics.ts';
import type { ReadinessCheck } from './readiness.ts';
import { createShutdown, type Shutdown } from './shutdown.ts';

/** What every service needs running before its own code starts. */
export interface Platform {
  service: string;
  log: Logger;
  tracer: Tracer;
  nc: NatsConnection;
  messaging: Messaging;
  orm: MikroORM;
  schema: string;
  shutdown: Shutdown;
  /** Served at /metrics on the health port; a service adds its own metrics to it. */
  metrics: Metrics;
  /** Checks for /readyz; a service may add its own before the health server starts. */
  checks: Record<string, ReadinessCheck>;
}

export interface PlatformOptions {
  service: string;
  /** NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_*_FILE: how to authenticate to NATS (all optional). */
  config: NatsAuthSettings & {
    DATABASE_URL: string;
    /** Per-connection PostgreSQL limits, ms (createOrm's `timeouts`). */
    DB_STATEMENT_TIMEOUT: number;
    DB_LOCK_TIMEOUT: number;
    NATS_URL: string;
    LOG_LEVEL: string;
    OTEL_EXPORTER_OTLP_ENDPOINT: string | undefined;
    NATS_NAMESPACE: string | undefined;
    NATS_STREAM_REPLICAS: number;
    NATS_STREAM_MAX_BYTES?: number;
    PRUNE_INTERVAL: number;
    OUTBOX_RETENTION: number;
    INBOX_RETENTION: number;
  };
  /** The service's schema (DB_SCHEMA overrides it, e.g. per test). */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- MikroORM entity schemas are deeply generic.
  entities: any[];
  migrations: MigrationObject[];
  /** Streams this service owns; created or updated at start. The DLQ is ensured by everyone. */
  ownedStreams: StreamDeclaration[];
  /** What loading `config` warned about (loadConfig's `warn`): logged once, as soon as there is a logger. */
  configWarnings?: readonly string[];
  /** Injected in tests so several services share one process and one sink. */
  log?: Logger;
  tracer?: Tracer;
}

/**
 * Opens the shared platform pieces in order — logger, tracing, NATS, streams, database, migrations —
 * and registers each one's close on the returned shutdown in reverse order. Any failure throws with
 * a readable message (runMain turns it into one line and a non-zero exit).
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const log = options.log ?? createLogger({ service: options.service, level: options.config.LOG_LEVEL });
  for (const warning of options.configWarnings ?? []) log.warn({ component: 'config' }, warning);
  const shutdown = createShutdown(log);
  let tracer = options.tracer;
  if (!tracer) {
    const telemetry = initTelemetry({
      serviceName: options.service,
      otlpEndpoint: options.config.OTEL_EXPORTER_OTLP_ENDPOINT,
    });
    shutdown.add('telemetry', () => telemetry.shutdown());
    tracer = telemetry.tracer;
  }
  const nc = await connectNats({
    url: options.config.NATS_URL,
    auth: natsAuthOf(options.config),
    name: options.service,
    log,
  });
  shutdown.add('nats', () => nc.drain());
  const messaging = await createMessaging(nc, options.service, namespaceFrom(options.config.NATS_NAMESPACE));
  const replicas = options.config.NATS_STREAM_REPLICAS;
  const maxBytesCap = options.config.NATS_STREAM_MAX_BYTES ?? 0;
  for (const decl of options.ownedStreams) await ensureStream(messaging, decl, { replicas, maxBytesCap });
  await ensureStream(messaging, STREAMS.DLQ, { replicas, createOnly: true, maxBytesCap });

  const orm = await createOrm({
    databaseUrl: options.config.DATABASE_URL,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    log,
    timeouts: { statementMs: options.config.DB_STATEMENT_TIMEOUT, lockMs: options.config.DB_LOCK_TIMEOUT },
  });
  shutdown.add('database', () => orm.close());
  await migrate(orm, options.schema, log);

  const metrics = createMetrics(options.service, (metric, err) =>
    log.warn({ metric, err: err instanceof Error ? err.message : String(err) }, 'a metric could not be read'),
  );
  registerPlatformMetrics(metrics, messaging, orm, options.schema);

  return {
    service: options.service,
    log,
    tracer,
    nc,
    messaging,
    orm,
    schema: options.schema,
    shutdown,
    metrics,
    checks: { database: databaseCheck(orm), nats: natsCheck(nc) },
  };
}

/** Only the NATS auth settings of a config: nothing else is handed to the NATS client. */
function natsAuthOf(c: NatsAuthSettings): NatsAuthSettings {
  const {
    NATS_USER,
    NATS_PASSWORD,
    NATS_TOKEN,
    NATS_NKEY_SEED_FILE,
    NATS_CREDS_FILE,
    NATS_TLS_CA_FILE,
    NATS_TLS_CERT_FILE,
    NATS_TLS_KEY_FILE,
  } = c;
  return {
    NATS_USER,
    NATS_PASSWORD,
    NATS_TOKEN,
    NATS_NKEY_SEED_FILE,
    NATS_CREDS_FILE,
    NATS_TLS_CA_FILE,
    NATS_TLS_CERT_FILE,
    NATS_TLS_KEY_FILE,
  };
}

/** Starts the probe server for a platform (services other than the gateway, which serves its own). */
export async function serveHealth(platform: Platform, host: string, port: number): Promise<number> {
  const server = await startHealthServer({
    host,
    port,
    service: platform.service,
    checks: platform.checks,
    metrics: () => platform.metrics.scrape(),
  });
  platform.shutdown.add('health', () => server.close());
  platform.log.info({ port: server.port }, 'health endpoints up');
  return server.port;
}
