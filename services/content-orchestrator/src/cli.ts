// Operator entry points (same config as the service; each prints its result as JSON):
//   node services/content-orchestrator/src/cli.ts cleanup-stuck-generations
//   node services/content-orchestrator/src/cli.ts dead-letters [after-id] [limit]
//   node services/content-orchestrator/src/cli.ts redrive <dlq-id>
import { listDeadLetters, publishEvent, redriveDeadLetter } from '@reelforge/messaging';
import { startOutboxRelay } from '@reelforge/persistence';
import { runMain, startPlatform } from '@reelforge/service-kit';
import { loadOrchestratorConfig } from './config.ts';
import { SERVICE, cleanupDeps } from './create-service.ts';
import { entities } from './entities/index.ts';
import { cleanupStuckGenerations } from './jobs/cleanup-stuck-generations.ts';
import { migrations } from './migrations/index.ts';
import { STREAMS } from '@reelforge/contracts';

const JOBS = ['cleanup-stuck-generations', 'dead-letters', 'redrive'] as const;
const ID = /^[1-9]\d{0,15}$/;

runMain(`${SERVICE} cli`, async () => {
  const job = process.argv[2];
  if (!JOBS.includes(job as (typeof JOBS)[number]))
    throw new Error(`usage: cli.ts <${JOBS.join('|')}> (got ${JSON.stringify(job ?? '')})`);
  const [arg1 = '', arg2 = ''] = process.argv.slice(3);
  if (job === 'redrive' && !ID.test(arg1))
    throw new Error(`usage: cli.ts redrive <dlq-id> (got ${JSON.stringify(arg1)})`);
  if (job === 'dead-letters' && ((arg1 && !/^\d{1,15}$/.test(arg1)) || (arg2 && !ID.test(arg2))))
    throw new Error('usage: cli.ts dead-letters [after-id] [limit]');
  const configWarnings: string[] = [];
  const config = loadOrchestratorConfig(process.env, (w) => configWarnings.push(w));
  const platform = await startPlatform({
    service: SERVICE,
    config,
    configWarnings,
    schema: config.DB_SCHEMA,
    entities,
    migrations,
    ownedStreams: [STREAMS.CONTENT],
  });
  const relay = startOutboxRelay({
    orm: platform.orm,
    schema: platform.schema,
    log: platform.log,
    publish: (row) => publishEvent(platform.messaging, row.subject, row.envelope).then(() => undefined),
  });
  try {
    const result =
      job === 'redrive'
        ? await redriveDeadLetter(platform.messaging, Number(arg1))
        : job === 'dead-letters'
          ? await listDeadLetters(platform.messaging, {
              after: Number(arg1 || 0),
              limit: Math.min(Number(arg2 || 100), 100),
            })
          : await cleanupStuckGenerations(cleanupDeps(platform, config, () => relay.kick()));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await relay.stop();
    await platform.shutdown.run('done');
  }
});
