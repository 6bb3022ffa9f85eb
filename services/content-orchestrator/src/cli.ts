// Operator entry points: `node services/content-orchestrator/src/cli.ts cleanup-stuck-generations`.
// Runs the job once on its own (same config as the service) and prints the summary as JSON.
import { publishEvent } from '@reelforge/messaging';
import { startOutboxRelay } from '@reelforge/persistence';
import { runMain, startPlatform } from '@reelforge/service-kit';
import { loadOrchestratorConfig } from './config.ts';
import { SERVICE, cleanupDeps } from './create-service.ts';
import { entities } from './entities/index.ts';
import { cleanupStuckGenerations } from './jobs/cleanup-stuck-generations.ts';
import { migrations } from './migrations/index.ts';
import { STREAMS } from '@reelforge/contracts';

const JOBS = ['cleanup-stuck-generations'] as const;

runMain(`${SERVICE} cli`, async () => {
  const job = process.argv[2];
  if (!JOBS.includes(job as (typeof JOBS)[number])) throw new Error(`usage: cli.ts <${JOBS.join('|')}> (got ${JSON.stringify(job ?? '')})`);
  const config = loadOrchestratorConfig();
  const platform = await startPlatform({ service: SERVICE, config, schema: config.DB_SCHEMA, entities, migrations, ownedStreams: [STREAMS.CONTENT] });
  const relay = startOutboxRelay({ orm: platform.orm, schema: platform.schema, log: platform.log, publish: (row) => publishEvent(platform.messaging, row.subject, row.envelope).then(() => undefined) });
  try {
    const summary = await cleanupStuckGenerations(cleanupDeps(platform, config, () => relay.kick()));
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await relay.stop();
    await platform.shutdown.run('done');
  }
});
