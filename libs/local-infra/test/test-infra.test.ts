import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accepts, alive } from './support/process-probes.ts';
import { startNatsServer, startTestInfra, type RunningNats, type RunningPostgres } from '@reelforge/local-infra';

describe('startTestInfra (the global setup)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelforge-infra-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the NATS it started when starting PostgreSQL fails, and rethrows', async () => {
    let nats: RunningNats | undefined;
    const setup = startTestInfra({
      nats: async () => (nats = await startNatsServer({ storeDir: join(dir, 'nats'), auth: {} })),
      postgres: () => Promise.reject(new Error('initdb exited 1: permission denied')),
    });
    await expect(setup).rejects.toThrow('initdb exited 1: permission denied');
    expect(nats).toBeDefined();
    expect(alive(nats!.pid)).toBe(false);
    expect(await accepts(nats!.port)).toBe(false);
  });

  it('starts nothing for a URL it is given, and stops PostgreSQL before NATS', async () => {
    const stopped: string[] = [];
    const fakeNats = {
      url: 'nats://n',
      clientUrl: 'nats://u:p@n',
      credentials: undefined,
      port: 1,
      pid: 1,
      stop: async () => void stopped.push('nats'),
    } satisfies RunningNats;
    const fakePg = {
      url: 'postgres://p',
      port: 2,
      dataDir: dir,
      pid: 2,
      createDatabase: async () => 'postgres://p',
      stop: async () => void stopped.push('postgres'),
    } satisfies RunningPostgres;

    const given = await startTestInfra(
      { nats: () => Promise.reject(new Error('must not start')), postgres: async () => fakePg },
      { natsUrl: 'nats://given' },
    );
    expect(given.natsUrl).toBe('nats://given');
    await given.stop();
    expect(stopped).toEqual(['postgres']);

    stopped.length = 0;
    const both = await startTestInfra({ nats: async () => fakeNats, postgres: async () => fakePg });
    expect(both).toMatchObject({ natsUrl: 'nats://u:p@n', databaseUrl: 'postgres://p' });
    await both.stop();
    expect(stopped).toEqual(['postgres', 'nats']);
  });
});
