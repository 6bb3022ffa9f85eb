import { BacklogItemClaimed, GenerationUpdated, STREAMS, TaskStatusChanged, filters } from '@reelforge/contracts';
import {
  ensureConsumer,
  ensureStream,
  startConsumer,
  type Messaging,
  type RunningConsumer,
} from '@reelforge/messaging';
import type { EntityManager } from '@reelforge/persistence';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { fromBacklogClaim, fromGeneration, fromTaskStatus, type NotificationDraft } from './from-event.ts';
import { recordNotification } from './record-notification.ts';

const GENERATION_CONSUMER = 'notifier-generations';
const TASK_STATUS_CONSUMER = 'notifier-task-status';
export const BACKLOG_CLAIM_CONSUMER = 'notifier-backlog-claims';

export interface ConsumerDeps {
  m: Messaging;
  fork: () => EntityManager;
  schema: string;
  clock: () => Date;
  ackWaitMs: number;
  maxDeliveries: number;
  replicas: number;
  log: Logger;
  tracer: Tracer;
  /** Runs in the transaction that writes a notification (queues its mail). */
  alsoInTransaction?: (tx: EntityManager, draft: NotificationDraft) => Promise<void>;
  /** Runs after such a transaction committed (kicks the mail worker). */
  afterCommit?: () => void;
}

/**
 * The notifier's durable consumers: generation facts (CONTENT), task status facts (TASKS) and
 * instant claims (BACKLOG).
 * Each turns a fact into at most one notification per event id (the inbox).
 */
export async function startNotificationConsumers(deps: ConsumerDeps): Promise<RunningConsumer[]> {
  const { m, log, tracer } = deps;
  const common = {
    concurrency: 8,
    retry: { initialDelayMs: 1000, maxDelayMs: 60_000, maxDeliveries: deps.maxDeliveries, jitter: 0.2 },
    heartbeatMs: Math.max(1000, Math.floor(deps.ackWaitMs / 3)),
    drainTimeoutMs: 10_000,
    log,
    tracer,
  };
  const record = async (consumer: string, eventId: string, draft: NotificationDraft | undefined) => {
    const written = await recordNotification(
      deps.fork(),
      deps.schema,
      consumer,
      eventId,
      draft,
      deps.clock(),
      deps.alsoInTransaction,
    );
    if (written) deps.afterCommit?.();
  };
  // Owners create their streams; create (never update) one we read if its owner has not started yet.
  await ensureStream(m, STREAMS.CONTENT, { replicas: deps.replicas, createOnly: true });
  await ensureStream(m, STREAMS.TASKS, { replicas: deps.replicas, createOnly: true });
  await ensureStream(m, STREAMS.BACKLOG, { replicas: deps.replicas, createOnly: true });
  await ensureConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: GENERATION_CONSUMER,
    filterSubject: filters.generations,
    ackWaitMs: deps.ackWaitMs,
    maxAckPending: 1000,
  });
  await ensureConsumer(m, {
    stream: STREAMS.TASKS.name,
    durable: TASK_STATUS_CONSUMER,
    filterSubject: filters.taskStatus,
    ackWaitMs: deps.ackWaitMs,
    maxAckPending: 1000,
  });
  await ensureConsumer(m, {
    stream: STREAMS.BACKLOG.name,
    durable: BACKLOG_CLAIM_CONSUMER,
    filterSubject: filters.backlogClaims,
    ackWaitMs: deps.ackWaitMs,
    maxAckPending: 1000,
  });
  const generations = await startConsumer(m, {
    ...common,
    stream: STREAMS.CONTENT.name,
    durable: GENERATION_CONSUMER,
    schema: GenerationUpdated,
    handler: (event) => record(GENERATION_CONSUMER, event.id, fromGeneration(event)),
  });
  const tasks = await startConsumer(m, {
    ...common,
    stream: STREAMS.TASKS.name,
    durable: TASK_STATUS_CONSUMER,
    schema: TaskStatusChanged,
    handler: (event) => record(TASK_STATUS_CONSUMER, event.id, fromTaskStatus(event)),
  });
  const claims = await startConsumer(m, {
    ...common,
    stream: STREAMS.BACKLOG.name,
    durable: BACKLOG_CLAIM_CONSUMER,
    schema: BacklogItemClaimed,
    handler: (event) => record(BACKLOG_CLAIM_CONSUMER, event.id, fromBacklogClaim(event)),
  });
  return [generations, tasks, claims];
}
