import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { inject } from 'vitest';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { memoryLogger, uniqueToken } from '@reelforge/testing';
import { orchestratorService } from '@reelforge/content-orchestrator';
import { repurposerService } from '@reelforge/repurposer';
import { createNotifierService, notifierService } from '@reelforge/notifier';
import { createSchedulerService } from '@reelforge/scheduler';
import { backlogKeeperService } from '@reelforge/backlog-keeper';
import { gatewayService } from '../../src/service.ts';
import { signDevToken } from '../../src/auth/dev-token.ts';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';

type AnyBooted = BootedService<{ DB_SCHEMA: string }>;

export interface Stack {
  token: string;
  env: Record<string, string>;
  mediaRoot: string;
  gatewayUrl: string;
  /** Undefined when the test runs the orchestrator as its own process. */
  orchestrator: AnyBooted | undefined;
  repurposer: AnyBooted | undefined;
  /** Booted only with `withNotifier: true`. */
  notifier: AnyBooted | undefined;
  /** Booted only with `withScheduler: true`, answering job commands but running no cron (tests drive slots). */
  scheduler: AnyBooted | undefined;
  /** Booted only with `withBacklog: true`. */
  backlog: AnyBooted | undefined;
  gateway: AnyBooted;
  logs: ReturnType<typeof memoryLogger>;
  /** A bearer token for tenant `subject`. */
  bearer(subject: string, roles?: string[]): Promise<string>;
  /** Runs SQL with `$schema` standing for one service's schema (same database for all). */
  sql<T = Record<string, unknown>>(
    service: 'orchestrator' | 'repurposer' | 'gateway' | 'notifier' | 'scheduler' | 'backlog',
    query: string,
    params?: unknown[],
  ): Promise<T[]>;
  /** Boots one more gateway instance on the same schema, NATS and media (stopped with the stack); returns its URL. */
  addGateway(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the real services in this process against the run's real NATS and PostgreSQL, isolated
 * by a unique NATS namespace and per-service schemas. `withRepurposer: false` /
 * `withOrchestrator: false` leave that service out (a test may run it as a process to kill it).
 * `withNotifier: true` adds the notifier (off by default: other tests need not pay for it), on
 * `notifierClock` when given;
 * `withScheduler: true` the scheduler, likewise; `withBacklog: true` the backlog-keeper.
 */
export async function startStack(
  options: {
    withRepurposer?: boolean;
    withOrchestrator?: boolean;
    withNotifier?: boolean;
    notifierClock?: () => Date;
    withScheduler?: boolean;
    withBacklog?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<Stack> {
  const token = uniqueToken();
  const mediaRoot = mkdtempSync(join(tmpdir(), `reelforge-media-${token}-`));
  const env: Record<string, string> = {
    DATABASE_URL: inject('databaseUrl'),
    NATS_URL: inject('natsUrl'),
    NATS_NAMESPACE: token,
    // Dozens of stacks share the run's server, which reserves every stream's max_bytes.
    NATS_STREAM_MAX_BYTES: String(16 * 1024 * 1024),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    HEALTH_PORT: '0',
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    MEDIA_ROOT: mediaRoot,
    TEMP_DIR: join(mediaRoot, '.tmp'),
    // The notifier's .eml files (no SMTP_URL) stay inside the test's own directory.
    MAIL_DIR: join(mediaRoot, 'mail'),
    SOURCE_URL_ALLOW_PRIVATE: 'true',
    WEBHOOK_URL_ALLOW_PRIVATE: 'true',
    // Every test calls from 127.0.0.1: the per-address budgets are tested on their own (address-limit.test.ts).
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    AUTH_FAILURES_PER_MINUTE: '1000000',
    FFMPEG_PATH: inject('ffmpegPath'),
    FFPROBE_PATH: inject('ffprobePath'),
    ESPEAK_NG_PATH: inject('espeakPath'),
    TASK_WORKER_COUNT: '1',
    TASK_ACK_WAIT: '4s',
    TASK_INITIAL_RETRY_DELAY: '200ms',
    TASK_MAX_RETRY_DELAY: '1s',
    ...options.env,
  };
  const logs = memoryLogger('test');
  const tracer = trace.getTracer('test');
  const boot = async <C extends { DB_SCHEMA: string }>(def: Parameters<typeof bootService>[0], schema: string) =>
    (await bootService(
      def,
      { ...env, DB_SCHEMA: `${token}_${schema}` },
      { log: logs.log, tracer },
    )) as unknown as BootedService<C>;

  const started: AnyBooted[] = [];
  try {
    const orchestrator =
      options.withOrchestrator === false ? undefined : await boot(orchestratorService as never, 'orchestrator');
    if (orchestrator) started.push(orchestrator);
    const repurposer =
      options.withRepurposer === false ? undefined : await boot(repurposerService as never, 'repurposer');
    if (repurposer) started.push(repurposer);
    const notifier = options.withNotifier
      ? await boot(
          (options.notifierClock ? createNotifierService({ clock: options.notifierClock }) : notifierService) as never,
          'notifier',
        )
      : undefined;
    if (notifier) started.push(notifier);
    const scheduler = options.withScheduler
      ? await boot(createSchedulerService({ inProcess: false }) as never, 'scheduler')
      : undefined;
    if (scheduler) started.push(scheduler);
    const backlog = options.withBacklog ? await boot(backlogKeeperService as never, 'backlog') : undefined;
    if (backlog) started.push(backlog);
    const gateway = await boot(gatewayService as never, 'gateway');
    started.push(gateway);
    return {
      token,
      env,
      mediaRoot,
      gatewayUrl: `http://127.0.0.1:${gateway.port}`,
      orchestrator,
      repurposer,
      notifier,
      scheduler,
      backlog,
      gateway,
      logs,
      bearer: (subject, roles = []) => signDevToken(TEST_JWT_SECRET, subject, { roles }),
      sql: <T>(service: string, query: string, params: unknown[] = []) =>
        gateway.platform.orm.em.fork().execute(query.replaceAll('$schema', `"${token}_${service}"`), params) as Promise<
          T[]
        >,
      async addGateway() {
        const another = await boot(gatewayService as never, 'gateway');
        started.push(another);
        return `http://127.0.0.1:${another.port}`;
      },
      async stop() {
        for (const s of started.reverse()) await s.stop();
        rmSync(mediaRoot, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop();
    throw err;
  }
}
