import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accepts, alive } from './support/process-probes.ts';
import { redisCommand, startRedisServer } from '@reelforge/local-infra';

describe('startRedisServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelforge-redis-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a private redis-server on a free port with the append-only file fsync’d every second, and stops it', async () => {
    const redis = await startRedisServer({ dir: join(dir, 'data') });
    try {
      expect(redis.port).not.toBe(6379); // the machine's own redis is never used
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redisCommand(redis.port, 'PING')).toBe('PONG');
      expect(await redisCommand(redis.port, 'CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redisCommand(redis.port, 'CONFIG', 'GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await redisCommand(redis.port, 'CONFIG', 'GET', 'save')).toEqual(['save', '']);
      expect(await redisCommand(redis.port, 'SET', 'k', 'v')).toBe('OK');
      expect(await redisCommand(redis.port, 'GET', 'k')).toBe('v');
      expect(await redisCommand(redis.port, 'GET', 'missing')).toBeNull();
      await expect(redisCommand(redis.port, 'NOSUCHCOMMAND')).rejects.toThrow(/^redis: ERR unknown command/);
    } finally {
      await redis.stop();
    }
    expect(alive(redis.pid)).toBe(false);
    expect(await accepts(redis.port)).toBe(false);
    // Redis 7 keeps the append-only file in appendonlydir/ under --dir.
    expect(existsSync(join(dir, 'data', 'appendonlydir'))).toBe(true);
    expect(readdirSync(join(dir, 'data', 'appendonlydir')).some((f) => f.endsWith('.aof'))).toBe(true);
  });

  it('rejects with redis-server’s own words when it cannot start, leaving nothing behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(startRedisServer({ dir: join(dir, 'busy'), port })).rejects.toThrow(/redis-server exited/);
    } finally {
      taken.close();
    }
  });
});
