import {
  STREAMS,
  TaskStatusChanged,
  creditCommands,
  filters,
  orchestratorBacklogCommands,
  orchestratorCommands,
  repurposerCommands,
} from '@reelforge/contracts';
import {
  ensureConsumer,
  ensureStream,
  publishEvent,
  sendCommand,
  serveCommand,
  startConsumer,
} from '@reelforge/messaging';
import { coalesceByKey, startOutboxRelay } from '@reelforge/persistence';
import type { Platform } from '@reelforge/service-kit';
import { createAccountCommands } from './accounts/account-commands.ts';
import { backlogStock } from './backlog/backlog-stock.ts';
import { createClaimItem } from './backlog/claim-item.ts';
import { createLibrarySourceCommands } from './backlog/library-sources.ts';
import { createProduceItem } from './backlog/produce-item.ts';
import type { OrchestratorConfig } from './config.ts';
import { createCreditCommands } from './credits/credit-commands.ts';
import { createDeadLetterCommands } from './dead-letters/dead-letter-commands.ts';
import { createCancelGeneration } from './generations/cancel-generation.ts';
import { createFoldDeadLetterHandler } from './generations/fold-dead-letter.ts';
import { foldTaskStatus } from './generations/fold-task-status.ts';
import { foldTaskStatuses } from './generations/fold-task-statuses.ts';
import { createGenerationQueries } from './generations/generation-queries.ts';
import { createStartGeneration } from './generations/start-generation.ts';
import { autoGenerateContent } from './jobs/auto-generate-content.ts';
import { cleanupStuckGenerations, type CleanupDeps } from './jobs/cleanup-stuck-generations.ts';
import { createSourceCommands } from './sources/source-commands.ts';

export const SERVICE = 'content-orchestrator';
const TASK_STATUS_CONSUMER = 'orchestrator-task-status';

/** The cleanup job's dependencies on a started platform (the command and the CLI share them). */
export function cleanupDeps(platform: Platform, config: OrchestratorConfig, afterCommit: () => void): CleanupDeps {
  const m = platform.messaging;
  return {
    fork: () => platform.orm.em.fork(),
    schema: platform.schema,
    service: SERVICE,
    stuckAfterMs: config.STUCK_GENERATION_AFTER,
    taskStates: (taskIds) =>
      sendCommand(
        m,
        repurposerCommands.taskStates,
        { taskIds },
        { timeoutMs: 5000, owner: 'repurposer', log: platform.log },
      ).then(
        (r) => r.states,
        (err: unknown) => {
          platform.log.warn({ err: String(err) }, 'cleanup: repurposer unavailable, using the recorded task states');
          return undefined;
        },
      ),
    afterCommit,
    log: platform.log,
  };
}

/**
 * Wires the orchestrator onto a started platform: commands (request/reply), the task-status
 * consumer, and the outbox relay. Every closable piece registers on the platform's shutdown.
 */
export async function createOrchestrator(platform: Platform, config: OrchestratorConfig): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const fork = () => orm.em.fork();

  const relay = startOutboxRelay({
    orm,
    schema,
    log,
    publish: (row) => publishEvent(m, row.subject, row.envelope).then(() => undefined),
  });
  platform.shutdown.add('outbox-relay', () => relay.stop());
  const afterCommit = () => relay.kick();

  const accounts = createAccountCommands({ fork });
  const sources = createSourceCommands({ fork });
  const generations = createGenerationQueries({ fork, schema });
  const cleanup = cleanupDeps(platform, config, afterCommit);
  const startGeneration = createStartGeneration({
    fork,
    schema,
    service: SERVICE,
    defaultCount: config.DEFAULT_GENERATION_COUNT,
    lockExpiryMs: config.LOCK_EXPIRY,
    creditCostPerTask: config.GENERATION_CREDIT_COST,
    taskStates: cleanup.taskStates,
    afterCommit,
    log,
  });
  const cancelGeneration = createCancelGeneration({ fork, schema, service: SERVICE, afterCommit });
  const deadLetters = createDeadLetterCommands({ m, log });
  const credits = createCreditCommands({ fork, schema });
  const library = createLibrarySourceCommands({ fork, schema });
  const produceItem = createProduceItem({ fork, schema, service: SERVICE, afterCommit });
  const claimItem = createClaimItem({ fork, schema, service: SERVICE, afterCommit });
  const b = orchestratorBacklogCommands;
  const deps = { log, tracer };
  const c = orchestratorCommands;
  const subs = [
    serveCommand(m, c.createAccount, accounts.create, deps),
    serveCommand(m, c.getAccount, accounts.get, deps),
    serveCommand(m, c.listAccounts, accounts.list, deps),
    serveCommand(m, c.updateAccount, accounts.update, deps),
    serveCommand(m, c.registerSource, sources.register, deps),
    serveCommand(m, c.listSources, sources.list, deps),
    serveCommand(m, c.startGeneration, startGeneration, deps),
    serveCommand(m, c.getGeneration, generations.get, deps),
    serveCommand(m, c.listGenerations, generations.list, deps),
    serveCommand(m, c.cancelGeneration, cancelGeneration, deps),
    serveCommand(m, c.cleanupStuckGenerations, () => cleanupStuckGenerations(cleanup), deps),
    // Many accounts may be due at once: as long as the scheduler waits (its SCHEDULER_JOB_TIMEOUT default).
    serveCommand(
      m,
      c.autoGenerateContent,
      (req) => autoGenerateContent({ fork, schema, startGeneration, log }, req),
      deps,
      { deadlineMs: 10 * 60_000 },
    ),
    serveCommand(m, c.listDeadLetters, deadLetters.list, deps),
    serveCommand(m, c.redriveDeadLetter, deadLetters.redrive, deps),
    serveCommand(m, creditCommands.getCredits, credits.get, deps),
    serveCommand(m, creditCommands.grantCredits, credits.grant, deps),
    serveCommand(m, b.addLibrarySource, library.add, deps),
    serveCommand(m, b.listLibrarySources, library.list, deps),
    serveCommand(m, b.stock, (req) => backlogStock(fork(), schema, req.recipeIds, req.freshAfter), deps),
    serveCommand(m, b.produce, produceItem, deps),
    serveCommand(m, b.claim, claimItem, deps),
  ];
  platform.shutdown.add('commands', async () => {
    for (const sub of subs) await sub.drain();
  });

  // The repurposer owns TASKS; create it (never update it) if this service happens to start first.
  await ensureStream(m, STREAMS.TASKS, { replicas: config.NATS_STREAM_REPLICAS, createOnly: true });
  await ensureConsumer(m, {
    stream: STREAMS.TASKS.name,
    durable: TASK_STATUS_CONSUMER,
    filterSubject: filters.taskStatus,
    ackWaitMs: config.EVENT_ACK_WAIT,
    maxAckPending: 1000,
  });
  const foldDeps = { schema, service: SERVICE, consumer: TASK_STATUS_CONSUMER, afterCommit };
  // Group commit: the status events that arrive while a fold runs are folded together in the next
  // transaction, whatever their generations (three statements for the lot: foldTaskStatuses); each
  // message is acked after the commit that folded it.
  const foldTogether = coalesceByKey<TaskStatusChanged>({
    runOne: (_key, event) => foldTaskStatus(fork(), event, foldDeps, log),
    runBatch: async (_key, events) => {
      await foldTaskStatuses(fork(), events, foldDeps, log);
      return events.map(() => undefined);
    },
    maxBatch: 200,
  });
  const consumer = await startConsumer(m, {
    stream: STREAMS.TASKS.name,
    durable: TASK_STATUS_CONSUMER,
    schema: TaskStatusChanged,
    // A fold batch is at most the messages in flight: 64 make batches big enough that a burst's
    // folds cost ~1.6 write syscalls a task here instead of ~2.9 at 16 (docs/benchmarks.md).
    concurrency: 64,
    retry: { initialDelayMs: 1000, maxDelayMs: 60_000, maxDeliveries: config.EVENT_MAX_DELIVERIES, jitter: 0.2 },
    heartbeatMs: Math.max(1000, Math.floor(config.EVENT_ACK_WAIT / 3)),
    drainTimeoutMs: 10_000,
    log,
    tracer,
    handler: (event, ctx) =>
      event.data.generationId ? foldTogether('task-status', event) : foldTaskStatus(fork(), event, foldDeps, ctx.log),
    // A status that could not be folded is not forgotten: its generation is recounted from the real task states.
    onDeadLetter: createFoldDeadLetterHandler({
      fork,
      schema,
      service: SERVICE,
      taskStates: cleanup.taskStates,
      afterCommit,
      log,
    }),
  });
  platform.shutdown.add('task-status-consumer', () => consumer.stop());
}
