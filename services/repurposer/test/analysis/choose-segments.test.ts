import { describe, expect, it } from 'vitest';
import { chooseSegments, type ChosenSegment } from '../../src/analysis/choose-segments.ts';
import type { Interval, Signals } from '../../src/analysis/signals.ts';

/** Synthetic signals: a point every 0.1 s at `base` LUFS, `loud` stretches at -8, silences at the floor. */
function synth(
  durationSeconds: number,
  o: { silences?: Interval[]; sceneCuts?: number[]; loud?: Interval[]; base?: number } = {},
): Signals {
  const silences = o.silences ?? [];
  const inside = (t: number, spans: Interval[]) => spans.some((s) => t >= s.start && t <= s.end);
  const loudness = [];
  for (let i = 2; i * 0.1 <= durationSeconds - 0.2 + 1e-9; i++) {
    const t = Math.round(i * 100) / 1000;
    loudness.push({ t, lufs: inside(t, silences) ? -120.7 : inside(t, o.loud ?? []) ? -8 : (o.base ?? -24) });
  }
  return { durationSeconds, loudness, silences, sceneCuts: o.sceneCuts ?? [] };
}

/** Silences of 0.6 s centred on each time. */
const pausesAt = (times: number[]): Interval[] => times.map((t) => ({ start: t - 0.3, end: t + 0.3 }));

function expectWellFormed(
  segments: ChosenSegment[],
  signals: Signals,
  o: { count: number; minSeconds: number; maxSeconds: number },
) {
  expect(segments.length).toBeLessThanOrEqual(o.count);
  for (const [i, s] of segments.entries()) {
    expect(s.start).toBeGreaterThanOrEqual(0);
    expect(s.end).toBeLessThanOrEqual(signals.durationSeconds);
    expect(s.end - s.start).toBeGreaterThanOrEqual(o.minSeconds - 1e-6);
    expect(s.end - s.start).toBeLessThanOrEqual(o.maxSeconds + 1e-6);
    expect(s.score).toBeGreaterThanOrEqual(0);
    expect(s.score).toBeLessThanOrEqual(1);
    expect(s.reason.length).toBeGreaterThan(10);
    // In time order and never overlapping.
    if (i > 0) expect(s.start).toBeGreaterThanOrEqual(segments[i - 1]!.end - 1e-6);
  }
}

const near = (t: number, set: number[], tolerance = 0.26) => set.some((b) => Math.abs(b - t) <= tolerance);

describe('chooseSegments', () => {
  const pauses = [6.2, 17.9, 25.4, 38.8, 51.5, 63.0, 71.7, 84.4, 97.1, 108.6];
  const cuts = [14.0, 30.5, 45.25, 58.0, 77.7, 91.3, 103.0];
  const signals = synth(120, { silences: pausesAt(pauses), sceneCuts: cuts, loud: [{ start: 63.3, end: 84.1 }] });
  const options = { count: 3, minSeconds: 10, maxSeconds: 20 };

  it('starts and ends every segment on a boundary: a pause, a scene cut or an edge of the source', () => {
    const segments = chooseSegments(signals, options);
    const boundaries = [0, 120, ...pauses, ...cuts];
    expect(segments).toHaveLength(3);
    for (const s of segments) {
      expect(near(s.start, boundaries), `start ${s.start}`).toBe(true);
      expect(near(s.end, boundaries), `end ${s.end}`).toBe(true);
    }
    expectWellFormed(segments, signals, options);
  });

  it('keeps lengths within range, never overlaps, and returns at most count segments', () => {
    for (const [count, min, max] of [
      [1, 10, 20],
      [2, 5, 8],
      [5, 12, 30],
      [20, 10, 15],
    ] as const) {
      const o = { count, minSeconds: min, maxSeconds: max };
      const segments = chooseSegments(signals, o);
      expectWellFormed(segments, signals, o);
      expect(segments.length).toBeGreaterThan(0);
    }
    expect(chooseSegments(signals, { count: 20, minSeconds: 10, maxSeconds: 15 }).length).toBeLessThanOrEqual(12);
    expect(chooseSegments(signals, { count: 0, minSeconds: 10, maxSeconds: 20 })).toEqual([]);
  });

  it('prefers the louder stretch', () => {
    const [best] = chooseSegments(signals, { ...options, count: 1 });
    // The loud stretch runs 63.3–84.1 s, between the pauses at 63.0 and 84.4 s.
    expect(best!.start).toBeGreaterThanOrEqual(63.0 - 1e-6);
    expect(best!.end).toBeLessThanOrEqual(84.4 + 1e-6);
    expect(best!.reason).toMatch(/^loud/);

    const three = chooseSegments(signals, options);
    const top = [...three].sort((a, b) => b.score - a.score)[0]!;
    expect(top.start).toBeGreaterThanOrEqual(63.0 - 1e-6);
    expect(top.end).toBeLessThanOrEqual(84.4 + 1e-6);
  });

  it('prefers speech over silence at equal loudness', () => {
    const quietGap = synth(60, { silences: [...pausesAt([10, 20, 40, 50]), { start: 31, end: 38 }], sceneCuts: [30] });
    const [best] = chooseSegments(quietGap, { count: 1, minSeconds: 9, maxSeconds: 11 });
    expect(best!.end <= 31 || best!.start >= 38).toBe(true);
  });

  it('is deterministic, whatever the order of its input', () => {
    const a = chooseSegments(signals, options);
    const b = chooseSegments(signals, options);
    expect(b).toEqual(a);
    const shuffled: Signals = {
      ...signals,
      loudness: [...signals.loudness].reverse(),
      silences: [...signals.silences].reverse(),
      sceneCuts: [...signals.sceneCuts].reverse(),
    };
    expect(chooseSegments(shuffled, options)).toEqual(a);
  });

  it('breaks ties by the earlier start', () => {
    // Identical content everywhere and evenly spaced cuts: every candidate scores the same.
    const flat: Signals = { durationSeconds: 60, loudness: [], silences: [], sceneCuts: [10, 20, 30, 40, 50] };
    const [first] = chooseSegments(flat, { count: 1, minSeconds: 10, maxSeconds: 10 });
    expect(first).toMatchObject({ start: 0, end: 10 });
  });

  it('returns a source shorter than the minimum whole, as one segment', () => {
    const short = synth(6.5, { silences: pausesAt([3]), sceneCuts: [2] });
    const segments = chooseSegments(short, { count: 3, minSeconds: 10, maxSeconds: 20 });
    expect(segments).toHaveLength(1);
    expect(segments[0]).toMatchObject({ start: 0, end: 6.5 });
    expect(segments[0]!.reason).toMatch(/whole source/);
  });

  it('falls back to fixed windows within range when there are no boundaries', () => {
    const bare = synth(100);
    const o = { count: 4, minSeconds: 12, maxSeconds: 18 };
    const segments = chooseSegments(bare, o);
    expect(segments).toHaveLength(4);
    expectWellFormed(segments, bare, o);
    expect(segments.some((s) => /fixed window/.test(s.reason))).toBe(true);

    // No audio and no cuts at all: still clips.
    const silentFilm: Signals = { durationSeconds: 45, loudness: [], silences: [], sceneCuts: [] };
    const two = chooseSegments(silentFilm, { count: 2, minSeconds: 15, maxSeconds: 15 });
    expect(two).toHaveLength(2);
    expectWellFormed(two, silentFilm, { count: 2, minSeconds: 15, maxSeconds: 15 });
  });

  it('fills from fixed windows only what natural boundaries cannot supply', () => {
    // Natural boundaries give exactly one 10–15 s stretch (20–32 s); the other two come from the grid.
    const sparse = synth(90, { sceneCuts: [20, 32] });
    const segments = chooseSegments(sparse, { count: 3, minSeconds: 10, maxSeconds: 15 });
    expect(segments).toHaveLength(3);
    expect(segments.filter((s) => s.start === 20 && s.end === 32)).toHaveLength(1);
    expectWellFormed(segments, sparse, { count: 3, minSeconds: 10, maxSeconds: 15 });
  });

  it('cuts on sentence ends when given', () => {
    const talk = synth(60);
    const sentenceEnds = [7.3, 19.8, 31.2, 44.9, 52.6];
    const o = { count: 3, minSeconds: 10, maxSeconds: 15, sentenceEnds };
    const segments = chooseSegments(talk, o);
    expect(segments).toHaveLength(3);
    for (const s of segments) {
      expect(near(s.start, [0, 60, ...sentenceEnds], 1e-9), `start ${s.start}`).toBe(true);
      expect(near(s.end, [0, 60, ...sentenceEnds], 1e-9), `end ${s.end}`).toBe(true);
    }
    expect(segments.some((s) => /sentence/.test(s.reason))).toBe(true);
    expectWellFormed(segments, talk, o);
  });

  it('explains itself in words a person can check', () => {
    const [best] = chooseSegments(signals, { ...options, count: 1 });
    // 71.7–84.4 s: all of it in the loud stretch, a cut at 77.7 s, half a pause at each end.
    expect(best!.reason).toBe(
      'loud (+12.6 LU over the median), 5% silence, 1 scene cut, starts after a pause at 71.7 s, ends on a pause at 84.4 s',
    );
    const [film] = chooseSegments(
      { durationSeconds: 30, loudness: [], silences: [], sceneCuts: [9.6, 20.1] },
      { count: 1, minSeconds: 10, maxSeconds: 12 },
    );
    expect(film!.reason).toBe(
      'no audio, one continuous shot, starts on a scene cut at 9.6 s, ends on a scene cut at 20.1 s',
    );
  });

  it('stays fast on a four-hour source with thousands of boundaries', () => {
    const hours = 4 * 3600;
    const many: Signals = { durationSeconds: hours, loudness: [], silences: [], sceneCuts: [] };
    for (let t = 0.4; t < hours; t += 0.1)
      many.loudness.push({ t: Math.round(t * 10) / 10, lufs: -24 + 6 * Math.sin(t / 97) });
    for (let t = 3; t < hours - 1; t += 3.1) many.silences.push({ start: t, end: t + 0.5 });
    for (let t = 5; t < hours; t += 7.3) many.sceneCuts.push(t);
    const o = { count: 10, minSeconds: 20, maxSeconds: 60 };
    const started = performance.now();
    const segments = chooseSegments(many, o);
    const elapsed = performance.now() - started;
    expect(segments).toHaveLength(10);
    expectWellFormed(segments, many, o);
    expect(elapsed).toBeLessThan(3000);
  });

  it('prefers two clips split at a pause over one long clip when more were asked for (best total, not best first)', () => {
    // 40 s with one pause at 20 s: 3 clips of 15–60 s asked; the whole source alone would score
    // highest as a single segment, but two halves give more of what was asked.
    const one = synth(40, { silences: pausesAt([20]) });
    const segments = chooseSegments(one, { count: 3, minSeconds: 15, maxSeconds: 60 });
    expectWellFormed(segments, one, { count: 3, minSeconds: 15, maxSeconds: 60 });
    expect(segments).toHaveLength(2);
    expect(segments[0]!.start).toBe(0);
    expect(Math.abs(segments[0]!.end - 20)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(segments[1]!.start - 20)).toBeLessThanOrEqual(0.3);
    expect(segments[1]!.end).toBe(40);
    // Asked for one clip, it takes the best single one.
    expect(chooseSegments(one, { count: 1, minSeconds: 15, maxSeconds: 60 })).toHaveLength(1);
  });
});
