import type { Boundary, BoundaryKind } from './boundaries.ts';
import type { Signals } from './signals.ts';

/** What a stretch of the source holds, the raw material of its score and reason. */
export interface SegmentStats {
  /** Mean momentary loudness relative to the source's median, in LU; null without audio. */
  relativeLu: number | null;
  /** Share of the stretch inside silences, 0..1 (0 without audio). */
  silentFraction: number;
  /** Scene cuts well inside the stretch. */
  cuts: number;
  /** Scene cuts just after the start or before the end: a flash of another shot. */
  flashes: number;
}

// R128's absolute gate: quieter is silence, and counts as this level so one dead gap cannot sink a mean to -120.
const GATE_LUFS = -70;
// A cut this close to an end is the boundary itself, not content.
const CUT_MARGIN = 0.25;
// A cut closer than this to an end leaves a flash of the neighbouring shot in the clip.
const FLASH_SECONDS = 1.5;

/** First index whose value is >= x (or > x when `strict`), in an ascending array. */
export function lowerBound(values: ArrayLike<number>, x: number, strict = false): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? values[mid]! <= x : values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Prefix sums over the signals so any stretch's stats cost O(log n): the chooser scores tens of
 * thousands of candidates on an hours-long source.
 */
export function signalIndex(signals: Signals): (start: number, end: number) => SegmentStats {
  const points = [...signals.loudness].sort((a, b) => a.t - b.t);
  const times = Float64Array.from(points, (p) => p.t);
  const levelSums = new Float64Array(points.length + 1);
  points.forEach((p, i) => (levelSums[i + 1] = levelSums[i]! + Math.max(GATE_LUFS, p.lufs)));
  const voiced = points
    .map((p) => p.lufs)
    .filter((l) => l > GATE_LUFS)
    .sort((a, b) => a - b);
  const median = voiced.length ? voiced[Math.floor(voiced.length / 2)]! : GATE_LUFS;
  const hasAudio = points.length > 0;

  // Silences sorted and merged, with the silent time before each one's start.
  const silences: { start: number; end: number }[] = [];
  for (const s of [...signals.silences].sort((a, b) => a.start - b.start)) {
    const last = silences[silences.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else if (s.end > s.start) silences.push({ start: s.start, end: s.end });
  }
  const silenceStarts = Float64Array.from(silences, (s) => s.start);
  const silentBefore = new Float64Array(silences.length + 1);
  silences.forEach((s, i) => (silentBefore[i + 1] = silentBefore[i]! + (s.end - s.start)));
  const silentUpTo = (x: number) => {
    const k = lowerBound(silenceStarts, x, true) - 1;
    if (k < 0) return 0;
    const s = silences[k]!;
    return silentBefore[k]! + Math.min(x, s.end) - s.start;
  };

  const cuts = Float64Array.from([...signals.sceneCuts].sort((a, b) => a - b));

  return (start, end) => {
    const from = lowerBound(times, start);
    const to = lowerBound(times, end, true);
    const relativeLu =
      hasAudio && to > from ? (levelSums[to]! - levelSums[from]!) / (to - from) - median : hasAudio ? 0 : null;
    const length = end - start;
    const silentFraction = length > 0 ? Math.min(1, Math.max(0, (silentUpTo(end) - silentUpTo(start)) / length)) : 0;
    const between = (a: number, b: number) => Math.max(0, lowerBound(cuts, b) - lowerBound(cuts, a, true));
    const all = between(start + CUT_MARGIN, end - CUT_MARGIN);
    const inside = between(start + FLASH_SECONDS, end - FLASH_SECONDS);
    return { relativeLu, silentFraction, cuts: inside, flashes: all - inside };
  };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * 0..1, higher is a better clip. Weights, in order of what makes a short clip work: energy (louder
 * than the source usually is, ±12 LU spans the range), speech presence (little silence), clean
 * boundaries, liveliness (cuts per minute, 8 and up is full marks), and a nudge toward longer clips
 * so that equal content favours the fuller one. A flash of another shot at either end costs.
 */
export function segmentScore(
  stats: SegmentStats,
  length: number,
  from: Boundary,
  to: Boundary,
  o: { minSeconds: number; maxSeconds: number },
): number {
  const energy = stats.relativeLu === null ? 0.5 : clamp01((stats.relativeLu + 12) / 24);
  const speech = stats.relativeLu === null ? 0.5 : 1 - stats.silentFraction;
  const lively = clamp01(((stats.cuts / Math.max(length, 1)) * 60) / 8);
  const clean = clamp01((from.quality + to.quality) / 2 / 1.1);
  const fuller = o.maxSeconds > o.minSeconds ? clamp01((length - o.minSeconds) / (o.maxSeconds - o.minSeconds)) : 1;
  const flash = stats.flashes > 0 ? 0.1 : 0;
  return Math.max(0, 0.4 * energy + 0.3 * speech + 0.15 * clean + 0.1 * lively + 0.05 * fuller - flash);
}

const START_WORDS: Record<BoundaryKind, string> = {
  start: '',
  end: '',
  sentence: 'after a sentence',
  pause: 'after a pause',
  cut: 'on a scene cut',
  grid: 'on a fixed window',
};
const END_WORDS: Record<BoundaryKind, string> = {
  start: '',
  end: '',
  sentence: 'at a sentence end',
  pause: 'on a pause',
  cut: 'on a scene cut',
  grid: 'on a fixed window',
};

function describeBoundary(b: Boundary, side: 'starts' | 'ends'): string {
  if (b.kinds.includes(side === 'starts' ? 'start' : 'end'))
    return side === 'starts' ? 'starts at the beginning' : 'ends at the end of the source';
  const words = side === 'starts' ? START_WORDS : END_WORDS;
  return `${side} ${b.kinds
    .map((k) => words[k])
    .filter(Boolean)
    .join(' and ')} at ${b.t.toFixed(1)} s`;
}

/** A short sentence a person can check against the video, e.g. "loud (+8.1 LU), no silence, starts after a pause at 12.0 s, …". */
export function segmentReason(stats: SegmentStats, from: Boundary, to: Boundary): string {
  const parts: string[] = [];
  const lu = stats.relativeLu;
  if (lu === null) parts.push('no audio');
  else {
    if (lu >= 3) parts.push(`loud (+${lu.toFixed(1)} LU over the median)`);
    else if (lu <= -3) parts.push(`quiet (${lu.toFixed(1)} LU under the median)`);
    else parts.push('average loudness');
    parts.push(stats.silentFraction < 0.02 ? 'no silence' : `${Math.round(stats.silentFraction * 100)}% silence`);
  }
  parts.push(stats.cuts === 0 ? 'one continuous shot' : stats.cuts === 1 ? '1 scene cut' : `${stats.cuts} scene cuts`);
  if (stats.flashes > 0) parts.push('a flash of another shot at an end');
  parts.push(describeBoundary(from, 'starts'), describeBoundary(to, 'ends'));
  return parts.join(', ');
}
