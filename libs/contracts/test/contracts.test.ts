import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.ts';
import { ASPECTS } from '../src/render-options.ts';
import {
  RenderJobRequested,
  describeErrors,
  httpStatusOf,
  isErrorCode,
  makeEnvelope,
  outputSize,
  uuidv7,
  validator,
  type ErrorCode,
} from '../src/index.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a valid UUID v7: version nibble 7, variant 10xx', () => {
    for (let i = 0; i < 200; i++) {
      const id = uuidv7();
      expect(id).toMatch(UUID_V7);
      const hex = id.replaceAll('-', '');
      expect(hex[12]).toBe('7');
      expect(Number.parseInt(hex[16]!, 16) >> 2).toBe(0b10);
    }
  });

  it('never repeats within one millisecond, across many refills of its random pool', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_764_000_000_000));
    expect(new Set(ids).size).toBe(5000);
    // The random part is not one pattern repeating: its bytes take (about) every value.
    const randomHex = ids.map((id) => id.replaceAll('-', '').slice(20)).join('');
    const bytes = new Set(randomHex.match(/../g));
    expect(bytes.size).toBe(256);
  });

  it('carries the creation time in its first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    const ms = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    expect(uuidv7(0x0123_4567_89ab).replaceAll('-', '').slice(0, 12)).toBe('0123456789ab');
  });

  it('sorts by creation time across milliseconds', () => {
    // Times that differ in every byte of the 48-bit timestamp, low and high.
    const base = Date.parse('2025-06-01T00:00:00Z');
    const times = [
      0,
      1,
      255,
      256,
      65_535,
      65_536,
      2 ** 32,
      2 ** 40,
      base,
      base + 1,
      base + 999,
      base + 1000,
      2 ** 48 - 1,
    ];
    const ids = times.map((t) => uuidv7(t));
    const shuffled = [...ids].reverse();
    shuffled.push(shuffled.shift()!);
    expect(shuffled.sort()).toEqual(ids);
  });

  it('is unique', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7(now)));
    expect(ids.size).toBe(10_000);
  });
});

describe('validator(RenderJobRequested)', () => {
  const v = validator(RenderJobRequested);
  const good = () =>
    makeEnvelope('render.job.requested.v1', 'content-orchestrator', uuidv7(), {
      taskId: uuidv7(),
      generationId: uuidv7(),
      sourceId: null,
      sourceUrl: 'https://videos.example.com/long-talk.mp4',
      contentType: 'talk',
      options: { aspect: '9:16' as const, maxDurationSeconds: 45 },
    });

  it('accepts a well-formed job', () => {
    const job = good();
    expect(v.errors(job)).toEqual([]);
    expect(v.check(job)).toBe(true);
  });

  it('compiles once per schema', () => {
    expect(validator(RenderJobRequested).schema).toBe(RenderJobRequested);
  });

  it('rejects a missing field, naming it', () => {
    const { sourceUrl: _dropped, ...data } = good().data;
    const job = { ...good(), data };
    expect(v.check(job)).toBe(false);
    expect(v.errors(job)).toContainEqual({ path: '/data/sourceUrl', message: 'Expected required property' });
  });

  it('rejects an extra field, at the top and inside data', () => {
    const top = { ...good(), priority: 'high' };
    expect(v.check(top)).toBe(false);
    expect(v.errors(top)).toEqual([{ path: '/priority', message: 'Unexpected property' }]);

    const job = good();
    const inner = { ...job, data: { ...job.data, priority: 'high' } };
    expect(v.check(inner)).toBe(false);
    expect(v.errors(inner)).toEqual([{ path: '/data/priority', message: 'Unexpected property' }]);
  });

  it('rejects a bad uuid with a readable error', () => {
    const job = good();
    const bad = { ...job, data: { ...job.data, taskId: 'task-1' } };
    expect(v.check(bad)).toBe(false);
    expect(v.errors(bad)).toEqual([{ path: '/data/taskId', message: "Expected string to match 'uuid' format" }]);
    expect(describeErrors(v.errors(bad))).toBe("/data/taskId: Expected string to match 'uuid' format");
  });

  it('rejects a wrong event type and bad render options', () => {
    const job = good();
    expect(v.errors({ ...job, type: 'render.job.requested.v2' })).toContainEqual(
      expect.objectContaining({ path: '/type' }),
    );
    expect(v.errors({ ...job, data: { ...job.data, options: { width: 1081 } } })).toContainEqual(
      expect.objectContaining({ path: '/data/options/width' }),
    );
    expect(v.errors({ ...job, data: { ...job.data, options: { aspect: '2:1' } } })).toContainEqual(
      expect.objectContaining({ path: '/data/options/aspect' }),
    );
  });

  it('gives every error a path and a message, and at most ten of them', () => {
    const errors = v.errors({ data: 42, extra1: 1, extra2: 2, extra3: 3, extra4: 4, extra5: 5, extra6: 6 });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(10);
    for (const e of errors) {
      expect(e.path).toMatch(/^\//);
      expect(e.message.length).toBeGreaterThan(0);
    }
    expect(v.errors('not an object')).toEqual([{ path: '/', message: expect.any(String) }]);
  });
});

describe('outputSize', () => {
  it.each([
    [{}, { width: 1080, height: 1920 }],
    [{ aspect: '9:16' as const }, { width: 1080, height: 1920 }],
    [{ width: 360 }, { width: 360, height: 640 }],
    [{ aspect: '16:9' as const }, { width: 1920, height: 1080 }],
    [
      { aspect: '16:9' as const, width: 640 },
      { width: 640, height: 360 },
    ],
    [{ aspect: '4:5' as const }, { width: 1080, height: 1350 }],
    [
      { aspect: '4:5' as const, width: 250 },
      { width: 250, height: 312 },
    ],
    [
      { aspect: '1:1' as const, width: 1080 },
      { width: 1080, height: 1080 },
    ],
  ])('%j → %j', (options, size) => {
    expect(outputSize(options)).toEqual(size);
  });

  it('gives a square for 1:1 by default', () => {
    const { width, height } = outputSize({ aspect: '1:1' });
    expect(width).toBe(height);
    expect(width % 2).toBe(0);
  });

  it('gives even dimensions with the right shape for every aspect and every allowed width', () => {
    for (const aspect of Object.keys(ASPECTS) as (keyof typeof ASPECTS)[]) {
      const [w, h] = ASPECTS[aspect];
      for (const width of [undefined, ...Array.from({ length: (3840 - 64) / 2 + 1 }, (_, i) => 64 + 2 * i)]) {
        const size = outputSize(width === undefined ? { aspect } : { aspect, width });
        expect(size.width % 2, `${aspect} width ${width}`).toBe(0);
        expect(size.height % 2, `${aspect} width ${width}`).toBe(0);
        // The height is the nearest even number to the exact one.
        expect(Math.abs(size.height - (size.width * h) / w), `${aspect} width ${width}`).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('ERROR_CODES', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('maps every code to a 4xx or 5xx status', () => {
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) {
      const status = httpStatusOf(code);
      expect(Number.isInteger(status), code).toBe(true);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThanOrEqual(599);
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('not_found')).toBe(false);
  });

  it('spells every code in SCREAMING_SNAKE_CASE', () => {
    for (const code of codes) expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
  });

  it('is documented in docs/errors.md, one table row per code and no row for an unknown code', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
    const documented = doc
      .split('\n')
      .map((line) => /^\|\s*`([^`]+)`/.exec(line)?.[1])
      .filter((code): code is string => code !== undefined);
    const missing = codes.filter((code) => !documented.includes(code));
    const unknown = documented.filter((code) => !isErrorCode(code));
    const duplicated = documented.filter((code, i) => documented.indexOf(code) !== i);
    expect({ missing, unknown, duplicated }).toEqual({ missing: [], unknown: [], duplicated: [] });
    for (const code of codes) expect(doc, code).toContain(`| \`${code}\``);
  });
});
