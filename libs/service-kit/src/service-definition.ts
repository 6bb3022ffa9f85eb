import type { MigrationObject } from '@mikro-orm/core';
import type { StreamDeclaration } from '@reelforge/contracts';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { existingRules, inboxRule, outboxRule, startPruner, type PruneRule } from '@reelforge/persistence';
import type { ConfigWarn } from './config.ts';
import { serveHealth, startPlatform, type Platform, type PlatformOptions } from './platform.ts';

type Env = Record<string, string | undefined>;

/** Everything needed to boot one service; main.ts and in-process tests boot it the same way. */
export interface ServiceDefinition<C extends PlatformOptions['config'] & { DB_SCHEMA: string; HEALTH_HOST: string }> {
  name: string;
  /** Reads the service's settings from `env`; `warn` receives what loadConfig warns about. */
  loadConfig(env: Env, warn?: ConfigWarn): C;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- MikroORM entity schemas are deeply generic.
  entities: any[];
  migrations: MigrationObject[];
  ownedStreams: StreamDeclaration[];
  /** Starts the service's own parts on the platform; registers their shutdown steps on it. */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a service without a port of its own returns nothing
  start(platform: Platform, config: C): Promise<{ port?: number } | void>;
  /** Port of the separate probe server; omitted when the service serves probes itself (gateway). */
  healthPort?(config: C): number;
  /** The service's own rows that expire (besides relayed outbox rows and old inbox ids, pruned for all). */
  retention?(config: C): PruneRule[];
}

export interface BootedService<C> {
  platform: Platform;
  config: C;
  /** The service's own listening port, if it has one (gateway). */
  port: number | undefined;
  healthPort: number | undefined;
  /** Prunes expired rows now (it also runs every PRUNE_INTERVAL); rows deleted per rule. */
  prune(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Loads config from `env`, starts the platform (which logs the config's warnings), the service and its probe server. */
export async function bootService<C extends PlatformOptions['config'] & { DB_SCHEMA: string; HEALTH_HOST: string }>(
  def: ServiceDefinition<C>,
  env: Env,
  inject: { log?: Logger; tracer?: Tracer } = {},
): Promise<BootedService<C>> {
  const configWarnings: string[] = [];
  const config = def.loadConfig(env, (w) => configWarnings.push(w));
  const platform = await startPlatform({
    service: def.name,
    config,
    configWarnings,
    schema: config.DB_SCHEMA,
    entities: def.entities,
    migrations: def.migrations,
    ownedStreams: def.ownedStreams,
    ...(inject.log ? { log: inject.log.child({ service: def.name }) } : {}),
    ...(inject.tracer ? { tracer: inject.tracer } : {}),
  });
  try {
    const started = await def.start(platform, config);
    const rules = await existingRules(platform.orm, platform.schema, [
      outboxRule(config.OUTBOX_RETENTION),
      inboxRule(config.INBOX_RETENTION),
      ...(def.retention?.(config) ?? []),
    ]);
    const pruner = startPruner({
      orm: platform.orm,
      schema: platform.schema,
      rules,
      everyMs: config.PRUNE_INTERVAL,
      log: platform.log,
    });
    platform.shutdown.add('pruner', () => pruner.stop());
    const healthPort = def.healthPort
      ? await serveHealth(platform, config.HEALTH_HOST, def.healthPort(config))
      : undefined;
    platform.log.info({ port: started?.port, healthPort }, `${def.name} ready`);
    return {
      platform,
      config,
      port: started?.port,
      healthPort,
      prune: pruner.runOnce,
      stop: () => platform.shutdown.run('stop'),
    };
  } catch (err) {
    await platform.shutdown.run('start failed');
    throw err;
  }
}
