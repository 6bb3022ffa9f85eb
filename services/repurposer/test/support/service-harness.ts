import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import pg from 'pg';
import { inject } from 'vitest';
import { subjects, type Envelope } from '@reelforge/contracts';
import { createMessaging, namespaceFrom, openNats, publishEvent, type Messaging } from '@reelforge/messaging';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { memoryLogger, uniqueToken } from '@reelforge/testing';
import type { RepurposerConfig } from '../../src/config.ts';
import { repurposerService } from '../../src/service.ts';

export interface ServiceHarness {
  /** The environment every repurposer booted here gets (namespace, schema, media root, temp dir). */
  env: Record<string, string>;
  schema: string;
  mediaRoot: string;
  logs: ReturnType<typeof memoryLogger>;
  /** The test's own NATS connection in the harness's namespace (outlives the services it boots). */
  m: Messaging;
  /** Boots one more repurposer in this process (the same boot path as main.ts); stop it with `stop()`. */
  boot(env?: Record<string, string>): Promise<BootedService<RepurposerConfig>>;
  /** Plain SQL on the database (pg placeholders `$1`…); `${schema}` is the repurposer's schema. */
  sql<T>(query: string, params?: unknown[]): Promise<T[]>;
  /** Publishes a message onto the render job queue as is (no schema check: tests send odd ones on purpose). */
  publishJob(accountId: string, message: object): Promise<void>;
  close(): Promise<void>;
}

/**
 * Real repurposer instances on the run's NATS and PostgreSQL, isolated by a NATS namespace and a
 * schema of their own: for tests that stop and start workers, or drive the render handler directly.
 */
export async function createServiceHarness(env: Record<string, string> = {}): Promise<ServiceHarness> {
  const token = uniqueToken();
  const mediaRoot = await mkdtemp(join(tmpdir(), `rf-repurposer-${token}-`));
  const schema = `${token}_repurposer`;
  const baseEnv: Record<string, string> = {
    DATABASE_URL: inject('databaseUrl'),
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: token,
    DB_SCHEMA: schema,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    HEALTH_PORT: '0',
    MEDIA_ROOT: join(mediaRoot, 'media'),
    TEMP_DIR: join(mediaRoot, 'tmp'),
    SOURCE_URL_ALLOW_PRIVATE: 'true',
    FFMPEG_PATH: inject('ffmpegPath'),
    FFPROBE_PATH: inject('ffprobePath'),
    TASK_WORKER_COUNT: '1',
    TASK_ACK_WAIT: '4s',
    TASK_INITIAL_RETRY_DELAY: '200ms',
    TASK_MAX_RETRY_DELAY: '1s',
    ...env,
  };
  const logs = memoryLogger('test');
  const tracer = trace.getTracer('test');
  const nc = await openNats(inject('natsUrl'));
  const m = await createMessaging(nc, 'test', namespaceFrom(token));
  const db = new pg.Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  const booted: BootedService<RepurposerConfig>[] = [];
  return {
    env: baseEnv,
    schema,
    mediaRoot,
    logs,
    m,
    async boot(extra = {}) {
      const service = await bootService(repurposerService, { ...baseEnv, ...extra }, { log: logs.log, tracer });
      booted.push(service);
      return service;
    },
    async sql<T>(query: string, params: unknown[] = []) {
      return (await db.query(query, params)).rows as T[];
    },
    async publishJob(accountId, message) {
      await publishEvent(m, subjects.renderJob(accountId), message as unknown as Envelope);
    },
    async close() {
      for (const s of booted.reverse()) await s.stop();
      await db.end();
      await nc.drain();
      await rm(mediaRoot, { recursive: true, force: true });
    },
  };
}
