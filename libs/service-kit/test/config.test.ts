import { describe, expect, it } from 'vitest';
import { ConfigError, commonSettings, env, loadConfig, type ConfigSpec } from '../src/config.ts';
import { bareDurationWarning, parseDurationMs } from '../src/duration.ts';

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
    expect(cfg).toEqual({
      NAME: 'x',
      PORT: 0,
      DEBUG: true,
      TIMEOUT_MS: 90_000,
      WORKERS: 16,
      MODE: 'slow',
      TAGS: ['p', 'q', 'r'],
      UPSTREAM: 'https://example.com/api',
      OPTIONAL: 'set',
    });
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
    const err = configErrorOf(commonSettings, {
      NATS_URL: 'http://nats:4222',
      LOG_LEVEL: 'loud',
      NATS_STREAM_REPLICAS: '9',
    });
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

  it.each(['', ' ', 'abc', '30x', '-5s', 's', '30 seconds', '1h30m', '1e3', '3.s', '.5s', 'ms30'])(
    '%j → undefined',
    (junk) => {
      expect(parseDurationMs(junk, 's')).toBeUndefined();
    },
  );

  it('env.durationMs reports junk as a problem naming the variable', () => {
    const r = readOne(env.durationMs('s', '1m'), 'soon');
    expect(r).toEqual({ problem: expect.stringMatching(/^V="soon" is not a duration/) });
  });
});

describe('durations with units, and bare numbers with a warning', () => {
  /** Loads one variable; returns its value and what loadConfig warned about. */
  function load(
    setting: ConfigSpec[string],
    name: string,
    raw: string | undefined,
  ): { value: unknown; warnings: string[] } {
    const warnings: string[] = [];
    const value = loadConfig({ [name]: setting }, { [name]: raw }, (w) => warnings.push(w))[name];
    return { value, warnings };
  }

  // Every unit form is read the same way whatever a setting's bare unit is.
  it.each(['ms', 's', 'm', 'h', 'd'] as const)(
    'a setting whose bare unit is %s reads 500ms, 30s, 5m, 3h and 2d, without a warning',
    (bareUnit) => {
      for (const [raw, ms] of [
        ['500ms', 500],
        ['30s', 30_000],
        ['5m', 300_000],
        ['3h', 10_800_000],
        ['2d', 172_800_000],
      ] as const) {
        expect(load(env.durationMs(bareUnit, '1s'), 'D', raw), raw).toEqual({ value: ms, warnings: [] });
      }
    },
  );

  it('reads a bare number in the documented unit and warns once, naming the variable, the unit read and the fix', () => {
    expect(load(env.durationMs('ms', '5s'), 'COMMAND_TIMEOUT', '5')).toEqual({
      value: 5,
      warnings: ['COMMAND_TIMEOUT=5 has no unit; read as 5 ms — write 5ms'],
    });
    expect(load(env.durationMs('s', '30s'), 'TASK_ACK_WAIT', '90')).toEqual({
      value: 90_000,
      warnings: ['TASK_ACK_WAIT=90 has no unit; read as 90 s — write 90s'],
    });
    expect(load(env.durationMs('m', '30m'), 'TASK_TIMEOUT', ' 45 ')).toEqual({
      value: 2_700_000,
      warnings: ['TASK_TIMEOUT=45 has no unit; read as 45 min — write 45m'],
    });
    expect(load(env.durationMs('h', '3h'), 'LOCK_EXPIRY', '1.5')).toEqual({
      value: 5_400_000,
      warnings: ['LOCK_EXPIRY=1.5 has no unit; read as 1.5 h — write 1.5h'],
    });
    expect(load(env.durationMs('d', '90d'), 'MEDIA_RETENTION', '30')).toEqual({
      value: 30 * 86_400_000,
      warnings: ['MEDIA_RETENTION=30 has no unit; read as 30 d — write 30d'],
    });
  });

  it('does not warn about a bare zero (zero in any unit), a default, or an empty variable', () => {
    expect(load(env.durationMs('d', '90d'), 'MEDIA_RETENTION', '0')).toEqual({ value: 0, warnings: [] });
    expect(load(env.durationMs('m', '1h'), 'PRUNE_INTERVAL', '0.0')).toEqual({ value: 0, warnings: [] });
    expect(load(env.durationMs('ms', '5s'), 'COMMAND_TIMEOUT', undefined)).toEqual({ value: 5_000, warnings: [] });
    expect(load(env.durationMs('ms', '5s'), 'COMMAND_TIMEOUT', '')).toEqual({ value: 5_000, warnings: [] });
  });

  it('warns once per bare variable of a whole spec, in spec order, and not at all when the config is invalid', () => {
    const spec = {
      A: env.durationMs('ms', '1s'),
      B: env.durationMs('s', '1s'),
      C: env.durationMs('h', '1h'),
      PORT: env.port(80),
    } satisfies ConfigSpec;
    const warnings: string[] = [];
    const cfg = loadConfig(spec, { A: '250', B: '2m', C: '2' }, (w) => warnings.push(w));
    expect(cfg).toEqual({ A: 250, B: 120_000, C: 7_200_000, PORT: 80 });
    expect(warnings).toEqual([
      'A=250 has no unit; read as 250 ms — write 250ms',
      'C=2 has no unit; read as 2 h — write 2h',
    ]);

    const none: string[] = [];
    expect(() => loadConfig(spec, { A: '250', PORT: 'eighty' }, (w) => none.push(w))).toThrow(ConfigError);
    expect(none).toEqual([]);
  });

  it('without a warn callback a bare number is read just the same', () => {
    expect(loadConfig({ T: env.durationMs('s', '1s') }, { T: '7' }).T).toBe(7_000);
  });

  it('the common settings warn in their own units', () => {
    const warnings: string[] = [];
    const cfg = loadConfig(
      commonSettings,
      { DATABASE_URL: 'postgres://db/app', DB_LOCK_TIMEOUT: '300', PRUNE_INTERVAL: '10', INBOX_RETENTION: '9' },
      (w) => warnings.push(w),
    );
    expect([cfg.DB_LOCK_TIMEOUT, cfg.PRUNE_INTERVAL, cfg.INBOX_RETENTION]).toEqual([300, 600_000, 9 * 86_400_000]);
    expect(warnings).toEqual([
      'DB_LOCK_TIMEOUT=300 has no unit; read as 300 ms — write 300ms',
      'PRUNE_INTERVAL=10 has no unit; read as 10 min — write 10m',
      'INBOX_RETENTION=9 has no unit; read as 9 d — write 9d',
    ]);
  });

  it('bareDurationWarning says nothing about a value with a unit or an unreadable one', () => {
    expect(bareDurationWarning('X', '5ms', 's')).toBeUndefined();
    expect(bareDurationWarning('X', 'soon', 's')).toBeUndefined();
    expect(bareDurationWarning('X', '5', 's')).toBe('X=5 has no unit; read as 5 s — write 5s');
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
    expect(readOne(env.url(['nats']), 'https://nats:4222')).toEqual({
      problem: expect.stringContaining('is not a nats URL'),
    });
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
