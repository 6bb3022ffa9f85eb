import { trace } from '@opentelemetry/api';
import { describe, expect, it, inject } from 'vitest';
import { memoryLogger, uniqueToken } from '@reelforge/testing';
import { bootService, commonSettings, env, loadConfig, type ConfigOf, type ServiceDefinition } from '../src/index.ts';

const spec = {
  ...commonSettings,
  DB_SCHEMA: env.string('warned'),
  HEALTH_PORT: env.port(0),
  SOME_TIMEOUT: env.durationMs('ms', '5s'),
};
type Config = ConfigOf<typeof spec>;

/** The smallest service: nothing of its own, so only the boot path is under test. */
const service: ServiceDefinition<Config> = {
  name: 'warned',
  loadConfig: (source, warn) => loadConfig(spec, source, warn),
  entities: [],
  migrations: [],
  ownedStreams: [],
  start: async () => undefined,
  healthPort: (c) => c.HEALTH_PORT,
};

// A bare duration still starts the service (read in the setting's unit); the boot path logs the
// warning once, as soon as the logger exists, where operators look for startup problems.
describe('config warnings at boot', () => {
  it('bootService logs each warning of the config load once, at warn level', async () => {
    const token = uniqueToken();
    const logs = memoryLogger('test');
    const svc = await bootService(
      service,
      {
        DATABASE_URL: inject('databaseUrl'),
        NATS_URL: inject('natsUrl'),
        NATS_NAMESPACE: token,
        DB_SCHEMA: `${token}_warned`,
        SOME_TIMEOUT: '5',
        PRUNE_INTERVAL: '0',
      },
      { log: logs.log, tracer: trace.getTracer('test') },
    );
    try {
      expect(svc.config.SOME_TIMEOUT).toBe(5);
      const warned = logs.lines().filter((l) => String(l.msg).includes('has no unit'));
      expect(warned).toEqual([
        expect.objectContaining({
          level: 40,
          service: 'warned',
          component: 'config',
          msg: 'SOME_TIMEOUT=5 has no unit; read as 5 ms — write 5ms',
        }),
      ]);
    } finally {
      await svc.stop();
    }
  });
});
