import {
  BacklogItemTransferred,
  STREAMS,
  backlogCommands,
  filters,
  orchestratorBacklogCommands,
  orchestratorCommands,
  recipeCommands,
  transferContentCommand,
} from '@reelforge/contracts';
import {
  ensureConsumer,
  ensureStream,
  publishEvent,
  sendCommand,
  serveCommand,
  startConsumer,
} from '@reelforge/messaging';
import { startOutboxRelay } from '@reelforge/persistence';
import type { Platform } from '@reelforge/service-kit';
import { backlogView } from './backlog/backlog-view.ts';
import { createClaimInstant } from './backlog/claim-instant.ts';
import { createMaintenanceKicker, maintainBacklog, type MaintainDeps } from './backlog/maintain-backlog.ts';
import { recordClaim } from './backlog/record-claim.ts';
import type { BacklogConfig } from './config.ts';
import { createGenerateFromRecipe } from './recipes/generate-from-recipe.ts';
import { createRecipeCommands } from './recipes/recipe-commands.ts';
import { registerBacklogMetrics } from './observability/backlog-metrics.ts';

export const SERVICE = 'backlog-keeper';
const CLAIMS_CONSUMER = 'backlog-keeper-claims';
const ORCHESTRATOR = 'content-orchestrator';

/**
 * Wires the backlog-keeper onto a started platform: the recipe and backlog commands, maintenance
 * (on request, after each claim, and from the scheduler's job), the consumer of the orchestrator's
 * claimed facts, and the outbox relay; all drained at shutdown.
 */
export async function createBacklogKeeper(
  platform: Platform,
  config: BacklogConfig,
  clock: () => Date,
  random: () => number = Math.random,
): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const fork = () => orm.em.fork();
  const relay = startOutboxRelay({
    orm,
    schema,
    log,
    publish: (row) => publishEvent(m, row.subject, row.envelope).then(() => undefined),
  });
  platform.shutdown.add('outbox-relay', () => relay.stop());

  const ask = { timeoutMs: config.COMMAND_TIMEOUT, owner: ORCHESTRATOR, log };
  const o = orchestratorBacklogCommands;
  // Items finished before this are stale: not handed out, not counted, replaced.
  const fresh = () =>
    config.BACKLOG_ITEM_MAX_AGE > 0
      ? { freshAfter: new Date(clock().getTime() - config.BACKLOG_ITEM_MAX_AGE).toISOString() }
      : {};
  const stock = (recipeIds: string[]) => sendCommand(m, o.stock, { recipeIds, ...fresh() }, ask);
  registerBacklogMetrics(platform.metrics, { fork, schema, stock });
  const maintainDeps: MaintainDeps = {
    fork,
    schema,
    stock,
    produce: (req) => sendCommand(m, o.produce, req, ask),
    maxProducing: config.BACKLOG_MAX_PRODUCING,
    maxMinimum: config.BACKLOG_MAX_MINIMUM,
    random,
    log,
  };
  const kicker = createMaintenanceKicker(() => maintainBacklog(maintainDeps), log);
  platform.shutdown.add('maintenance', () => kicker.idle());

  const available = (ids: string[]) =>
    ids.length === 0
      ? Promise.resolve(new Set<string>())
      : stock(ids).then(
          (r) => new Set(r.recipes.filter((x) => x.ready > 0).map((x) => x.recipeId)),
          () => new Set<string>(),
        );
  const recipes = createRecipeCommands({ fork, schema, clock, available, changed: () => kicker.kick() });
  const claimInstant = createClaimInstant({
    fork,
    schema,
    claim: (req) => sendCommand(m, o.claim, { ...req, ...fresh() }, ask),
    // Short: the hand-over only lets the answer carry the clips; the claimed fact completes it anyway.
    transfer: (req) =>
      sendCommand(m, transferContentCommand, req, { timeoutMs: 2000, owner: 'repurposer', log }).then((r) => r.items),
    kick: () => kicker.kick(),
    log,
  });
  const generateFromRecipe = createGenerateFromRecipe({
    fork,
    schema,
    start: (req) => sendCommand(m, orchestratorCommands.startGeneration, req, ask),
  });
  const deps = { log, tracer };
  const subs = [
    serveCommand(m, recipeCommands.list, recipes.list, deps),
    serveCommand(m, recipeCommands.get, recipes.get, deps),
    serveCommand(m, recipeCommands.create, recipes.create, deps),
    serveCommand(m, recipeCommands.update, recipes.update, deps),
    serveCommand(m, recipeCommands.render, recipes.render, deps),
    serveCommand(m, recipeCommands.generate, generateFromRecipe, deps),
    serveCommand(
      m,
      backlogCommands.getBacklog,
      (req) => backlogView({ fork, schema, stock, maxMinimum: config.BACKLOG_MAX_MINIMUM }, req),
      deps,
    ),
    serveCommand(m, backlogCommands.claimInstant, claimInstant, deps),
    // The scheduler waits for the pass (its summary is the job's result).
    serveCommand(m, backlogCommands.maintain, (req) => maintainBacklog(maintainDeps, req.recipeId), deps, {
      deadlineMs: 5 * 60_000,
    }),
  ];
  platform.shutdown.add('commands', async () => {
    for (const sub of subs) await sub.drain();
  });

  // The orchestrator owns CONTENT; create it (never update it) if this service happens to start first.
  await ensureStream(m, STREAMS.CONTENT, { replicas: config.NATS_STREAM_REPLICAS, createOnly: true });
  await ensureConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: CLAIMS_CONSUMER,
    filterSubject: filters.backlogTransfers,
    ackWaitMs: config.EVENT_ACK_WAIT,
    maxAckPending: 1000,
  });
  const consumer = await startConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: CLAIMS_CONSUMER,
    schema: BacklogItemTransferred,
    concurrency: 8,
    retry: { initialDelayMs: 1000, maxDelayMs: 60_000, maxDeliveries: config.EVENT_MAX_DELIVERIES, jitter: 0.2 },
    heartbeatMs: Math.max(1000, Math.floor(config.EVENT_ACK_WAIT / 3)),
    drainTimeoutMs: 10_000,
    log,
    tracer,
    handler: async (event) => {
      if (await recordClaim(fork(), event, { schema, service: SERVICE, consumer: CLAIMS_CONSUMER })) {
        relay.kick();
        kicker.kick();
      }
    },
  });
  platform.shutdown.add('claims-consumer', () => consumer.stop());
}
