import { DomainError, STREAMS, TaskStatusChanged, filters, orchestratorCommands } from '@reelforge/contracts';
import { ensureConsumer, ensureStream, publishEvent, serveCommand, startConsumer } from '@reelforge/messaging';
import { startOutboxRelay } from '@reelforge/persistence';
import type { Platform } from '@reelforge/service-kit';
import { createAccountCommands } from './accounts/account-commands.ts';
import type { OrchestratorConfig } from './config.ts';
import { foldTaskStatus } from './generations/fold-task-status.ts';
import { loadGenerationView } from './generations/generation-view.ts';
import { createStartGeneration } from './generations/start-generation.ts';
import { createSourceCommands } from './sources/source-commands.ts';

export const SERVICE = 'content-orchestrator';
const TASK_STATUS_CONSUMER = 'orchestrator-task-status';

/**
 * Wires the orchestrator onto a started platform: commands (request/reply), the task-status
 * consumer, and the outbox relay. Every closable piece registers on the platform's shutdown.
 */
export async function createOrchestrator(platform: Platform, config: OrchestratorConfig): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const fork = () => orm.em.fork();

  const relay = startOutboxRelay({ orm, schema, log, publish: (row) => publishEvent(m, row.subject, row.envelope).then(() => undefined) });
  platform.shutdown.add('outbox-relay', () => relay.stop());
  const afterCommit = () => relay.kick();

  const accounts = createAccountCommands({ fork });
  const sources = createSourceCommands({ fork });
  const startGeneration = createStartGeneration({ fork, schema, service: SERVICE, defaultCount: config.DEFAULT_GENERATION_COUNT, lockExpiryMs: config.LOCK_EXPIRY, afterCommit });
  const deps = { log, tracer };
  const subs = [
    serveCommand(m, orchestratorCommands.createAccount, accounts.create, deps),
    serveCommand(m, orchestratorCommands.getAccount, accounts.get, deps),
    serveCommand(m, orchestratorCommands.listAccounts, accounts.list, deps),
    serveCommand(m, orchestratorCommands.registerSource, sources.register, deps),
    serveCommand(m, orchestratorCommands.startGeneration, startGeneration, deps),
    serveCommand(
      m,
      orchestratorCommands.getGeneration,
      async (req) => {
        const em = fork();
        const view = await loadGenerationView(em, schema, req.generationId);
        // Scoped to the principal: a generation of another tenant's account does not exist for them.
        if (!view || !(await accounts.get({ principal: req.principal, accountId: view.accountId }).catch(() => undefined))) {
          throw new DomainError('NOT_FOUND', `generation ${req.generationId} not found`);
        }
        return view;
      },
      deps,
    ),
  ];
  platform.shutdown.add('commands', async () => {
    for (const sub of subs) await sub.drain();
  });

  // The repurposer owns TASKS; create it (never update it) if this service happens to start first.
  await ensureStream(m, STREAMS.TASKS, { replicas: config.NATS_STREAM_REPLICAS, createOnly: true });
  await ensureConsumer(m, { stream: STREAMS.TASKS.name, durable: TASK_STATUS_CONSUMER, filterSubject: filters.taskStatus, ackWaitMs: config.EVENT_ACK_WAIT, maxAckPending: 1000 });
  const consumer = await startConsumer(m, {
    stream: STREAMS.TASKS.name,
    durable: TASK_STATUS_CONSUMER,
    schema: TaskStatusChanged,
    concurrency: 4,
    retry: { initialDelayMs: 1000, maxDelayMs: 60_000, maxDeliveries: 10, jitter: 0.2 },
    heartbeatMs: Math.max(1000, Math.floor(config.EVENT_ACK_WAIT / 3)),
    drainTimeoutMs: 10_000,
    log,
    tracer,
    handler: (event, ctx) => foldTaskStatus(fork(), event, { schema, service: SERVICE, consumer: TASK_STATUS_CONSUMER, afterCommit }, ctx.log),
  });
  platform.shutdown.add('task-status-consumer', () => consumer.stop());
}
