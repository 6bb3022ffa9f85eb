import { describe, expect, it } from 'vitest';
import { ConfigError, commonSettings, env, loadConfig, parseDurationMs, type ConfigSpec } from '../src/index.ts';

/** Runs `loadConfig` expecting it to throw, and returns the ConfigError (fails the test otherwise). */
function configErrorOf(spec: ConfigSpec, source: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(spec, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig accepted a bad environment');
}

/** Reads one variable through one setting; returns the value, or the ConfigError's problem. */
function readOne(spec: ConfigSpec[string], raw: string | undefined): { value: unknown } | { problem: string } {
  try {
    return { value: loadConfig({ V: spec }, { V: raw }).V };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.problems).toHaveLength(1);
    return { problem: err.problems[0]! };
  }
}

describe('loadConfig', () => {
  const spec = {
    NAME: env.string('reelforge'),
    PORT: env.port(8080),
    DEBUG: env.bool(false),
    TIMEOUT_MS: env.durationMs('s', '30s'),
    WORKERS: env.int(2, 1, 16),
    MODE: env.oneOf(['fast', 'slow'] as const, 'fast'),
    TAGS: env.list(['a', 'b']),
    UPSTREAM: env.url(['http', 'https'], 'http://127.0.0.1:9000'),
    OPTIONAL: env.optionalString(),
  } satisfies ConfigSpec;

  it('applies every default when the environment is empty', () => {
    expect(loadConfig(spec, {})).toEqual({
      NAME: 'reelforge',
      PORT: 8080,
      DEBUG: false,
      TIMEOUT_MS: 30_000,
      WORKERS: 2,
      MODE: 'fast',
      TAGS: ['a', 'b'],
      UPSTREAM: 'http://127.0.0.1:9000',
      OPTIONAL: undefined,
    });
  });

  it('treats an empty variable as unset (the default applies)', () => {
    const cfg = loadConfig(spec, { PORT: '', DEBUG: '', OPTIONAL: '' });
    expect(cfg.PORT).toBe(8080);
    expect(cfg.DEBUG).toBe(false);
    expect(cfg.OPTIONAL).toBeUndefined();
  });

  it('reads and converts given values', () => {
    const cfg = loadConfig(spec, {
      NAME: 'x',
      PORT: '0',
      DEBUG: 'yes',
      TIMEOUT_MS: '90',
      WORKERS: '16',
      MODE: 'slow',
      TAGS: ' p , q ,, r ',
      UPSTREAM: 'https://example.com/api',
      OPTIONAL: 'set',
    });
    expect(cfg).toEqual({ NAME: 'x', PORT: 0, DEBUG: true, TIMEOUT_MS: 90_000, WORKERS: 16, MODE: 'slow', TAGS: ['p', 'q', 'r'], UPSTREAM: 'https://example.com/api', OPTIONAL: 'set' });
  });

  it('applies the common settings defaults around a required DATABASE_URL', () => {
    const cfg = loadConfig(commonSettings, { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' });
    expect(cfg).toEqual({
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      NATS_URL: 'nats://127.0.0.1:4222',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      HEALTH_HOST: '127.0.0.1',
      DB_STATEMENT_TIMEOUT: 30_000,
      DB_LOCK_TIMEOUT: 5_000,
      NATS_NAMESPACE: undefined,
      NATS_STREAM_REPLICAS: 1,
      NATS_STREAM_MAX_BYTES: 0,
      PRUNE_INTERVAL: 3_600_000,
      OUTBOX_RETENTION: 7 * 86_400_000,
      INBOX_RETENTION: 8 * 86_400_000,
    });
  });

  it('names a missing required variable', () => {
    const err = configErrorOf(commonSettings, {});
    expect(err.problems).toEqual([expect.stringContaining('DATABASE_URL is required')]);
    expect(err.message).toContain('DATABASE_URL');
  });

  it('names every bad variable in ONE error, on one line', () => {
    const err = configErrorOf(spec, { PORT: '70000', DEBUG: 'maybe', NAME: 'fine' });
    expect(err.problems).toHaveLength(2);
    expect(err.message).toMatch(/^invalid configuration: /);
    expect(err.message).toContain('PORT="70000"');
    expect(err.message).toContain('DEBUG="maybe"');
    expect(err.message).not.toContain('NAME');
    expect(err.message).not.toContain('\n');
  });

  it('collects problems of different kinds (missing, malformed, out of range) together', () => {
    const err = configErrorOf(commonSettings, { NATS_URL: 'http://nats:4222', LOG_LEVEL: 'loud', NATS_STREAM_REPLICAS: '9' });
    const named = err.problems.map((p) => p.split(/[ =]/)[0]);
    expect(named.sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'NATS_STREAM_REPLICAS', 'NATS_URL']);
  });

  it('keeps a control character in a bad value from breaking the one-line message', () => {
    const err = configErrorOf({ PORT: env.port() }, { PORT: '80\n81' });
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain('PORT="80\\n81"');
  });

  it('returns a frozen object', () => {
    const cfg = loadConfig(spec, {});
    expect(Object.isFrozen(cfg)).toBe(true);
    // ESM is strict mode: writing to a frozen object throws.
    expect(() => {
      (cfg as Record<string, unknown>).PORT = 1;
    }).toThrow(TypeError);
    expect(cfg.PORT).toBe(8080);
  });

  it('reads process.env when no source is given', () => {
    const name = `RF_TEST_${Math.random().toString(36).slice(2).toUpperCase()}`;
    process.env[name] = '4321';
    try {
      expect(loadConfig({ [name]: env.port() })[name]).toBe(4321);
    } finally {
      delete process.env[name];
    }
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['30m', 1_800_000],
    ['3h', 10_800_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    [' 2 m ', 120_000],
    ['0s', 0],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDurationMs(text, 'ms')).toBe(ms);
  });

  it('reads a bare number in the given unit', () => {
    expect(parseDurationMs('45', 'ms')).toBe(45);
    expect(parseDurationMs('45', 's')).toBe(45_000);
    expect(parseDurationMs('45', 'm')).toBe(2_700_000);
    expect(parseDurationMs('2', 'h')).toBe(7_200_000);
    expect(parseDurationMs('2', 'd')).toBe(172_800_000);
  });

  it('an explicit unit wins over the bare unit', () => {
    expect(parseDurationMs('250ms', 'h')).toBe(250);
    expect(parseDurationMs('30m', 's')).toBe(1_800_000);
  });

  it.each(['', ' ', 'abc', '30x', '-5s', 's', '30 seconds', '1h30m', '1e3', '3.s', '.5s', 'ms30'])('%j → undefined', (junk) => {
    expect(parseDurationMs(junk, 's')).toBeUndefined();
  });

  it('env.durationMs reports junk as a problem naming the variable', () => {
    const r = readOne(env.durationMs('s', '1m'), 'soon');
    expect(r).toEqual({ problem: expect.stringMatching(/^V="soon" is not a duration/) });
  });
});

describe('env.bool', () => {
  it.each(['1', 'true', 'TRUE', 'True', 'yes', 'YES'])('%j → true', (raw) => {
    expect(readOne(env.bool(false), raw)).toEqual({ value: true });
  });

  it.each(['0', 'false', 'FALSE', 'no', 'No'])('%j → false', (raw) => {
    expect(readOne(env.bool(true), raw)).toEqual({ value: false });
  });

  it.each(['maybe', 'on', '2', 'truee'])('%j is rejected', (raw) => {
    expect(readOne(env.bool(false), raw)).toEqual({ problem: expect.stringContaining('is not a boolean') });
  });

  it('without a default it is required', () => {
    expect(readOne(env.bool(), undefined)).toEqual({ problem: expect.stringMatching(/^V is required/) });
  });
});

describe('env.url', () => {
  const pg = env.url(['postgres', 'postgresql']);

  it('accepts a URL of an allowed protocol, unchanged', () => {
    expect(readOne(pg, 'postgres://u:p@db:5432/app')).toEqual({ value: 'postgres://u:p@db:5432/app' });
    expect(readOne(pg, 'postgresql://db/app')).toEqual({ value: 'postgresql://db/app' });
  });

  it('rejects another protocol, saying which ones are allowed', () => {
    expect(readOne(pg, 'mysql://db/app')).toEqual({ problem: 'V="mysql://db/app" is not a postgres/postgresql URL' });
    expect(readOne(env.url(['nats']), 'https://nats:4222')).toEqual({ problem: expect.stringContaining('is not a nats URL') });
  });

  it('rejects text that is not a URL at all', () => {
    expect(readOne(pg, 'db:5432')).toEqual({ problem: expect.stringContaining('is not a postgres/postgresql URL') });
    expect(readOne(pg, 'not a url')).toEqual({ problem: expect.stringContaining('is not a postgres/postgresql URL') });
  });
});

describe('env.port', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['8080', 8080],
    ['65535', 65535],
  ])('%j → %d', (raw, port) => {
    expect(readOne(env.port(), raw)).toEqual({ value: port });
  });

  it.each(['65536', '100000', '-1', '80.5', '8o', 'http'])('%j is rejected', (raw) => {
    expect(readOne(env.port(), raw)).toEqual({ problem: expect.stringContaining('is not a port number (0-65535)') });
  });
});
