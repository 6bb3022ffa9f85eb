import { gridBoundaries, naturalBoundaries, type Boundary } from './boundaries.ts';
import { segmentReason, segmentScore, signalIndex, type SegmentStats } from './segment-score.ts';
import type { Signals } from './signals.ts';
import { TRANSCRIPT_WEIGHT, transcriptReason, transcriptScore, type TranscriptIndex } from './transcript-score.ts';

export interface ChosenSegment {
  start: number;
  end: number;
  /** 0..1, higher is better; comparable between segments of one source only. */
  score: number;
  reason: string;
}

export interface ChooseOptions {
  count: number;
  minSeconds: number;
  maxSeconds: number;
  /** Ends of sentences (from a transcript), the cleanest places to cut. */
  sentenceEnds?: number[];
  /** The source's transcript (indexTranscript): when present, what is said counts too. */
  transcript?: TranscriptIndex;
}

interface Candidate {
  from: Boundary;
  to: Boundary;
  score: number;
}

// Float slack when comparing lengths with the limits.
const EPS = 1e-6;

/** Every stretch from one boundary to a later one whose length is within limits, scored. O(boundaries × boundaries per max length). */
function candidates(
  bounds: readonly Boundary[],
  stats: (a: number, b: number) => SegmentStats,
  o: ChooseOptions,
): Candidate[] {
  const out: Candidate[] = [];
  let first = 0;
  for (let i = 0; i < bounds.length; i++) {
    const from = bounds[i]!;
    while (first < bounds.length && bounds[first]!.t < from.t + o.minSeconds - EPS) first++;
    for (let j = Math.max(first, i + 1); j < bounds.length && bounds[j]!.t <= from.t + o.maxSeconds + EPS; j++) {
      const to = bounds[j]!;
      out.push({ from, to, score: score(stats(from.t, to.t), from, to, o) });
    }
  }
  return out;
}

/**
 * The signals' score, blended with the transcript's (40 %) when there is one: a stretch is judged on
 * what is said as well as on how it sounds and looks.
 */
function score(s: SegmentStats, from: Boundary, to: Boundary, o: ChooseOptions): number {
  const signal = segmentScore(s, to.t - from.t, from, to, o);
  if (!o.transcript) return signal;
  const text = transcriptScore(o.transcript.stats(from.t, to.t));
  return (1 - TRANSCRIPT_WEIGHT) * signal + TRANSCRIPT_WEIGHT * text;
}

/** The signals' reason, then the transcript's. */
function reason(s: SegmentStats, from: Boundary, to: Boundary, o: ChooseOptions): string {
  const signal = segmentReason(s, from, to);
  if (!o.transcript) return signal;
  const words = transcriptReason(o.transcript.stats(from.t, to.t), o.transcript.keywordsIn(from.t, to.t));
  return `${signal}; transcript: ${words}`;
}

/** Best first; ties go to the earlier start, then the shorter: the order never depends on anything but the input. */
const byScore = (a: Candidate, b: Candidate) => b.score - a.score || a.from.t - b.from.t || a.to.t - b.to.t;

/**
 * The set of at most `count` non-overlapping candidates (touching is fine) with the highest total
 * score: weighted interval scheduling by dynamic programming, O(count × candidates). A greedy
 * "best first" would let one long segment crowd out two good ones (a 40 s source asked for 3
 * clips would get one 40 s clip instead of two 20 s ones split at its pause).
 */
function pickBestSet(pool: Candidate[], count: number): Candidate[] {
  // By end, then start, then score: the order (and so every tie) depends on the input alone.
  const items = [...pool].sort((a, b) => a.to.t - b.to.t || a.from.t - b.from.t || b.score - a.score);
  const n = items.length;
  // prev[i]: how many items end at or before item i starts (all of them are compatible with it).
  const prev = items.map((c) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.to.t <= c.from.t + EPS) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
  // best[k][i]: the highest total from the first i items using at most k of them.
  const best = Array.from({ length: count + 1 }, () => new Float64Array(n + 1));
  for (let k = 1; k <= count; k++) {
    const row = best[k]!;
    const below = best[k - 1]!;
    for (let i = 1; i <= n; i++) {
      const take = below[prev[i - 1]!]! + items[i - 1]!.score;
      row[i] = take > row[i - 1]! + EPS ? take : row[i - 1]!;
    }
  }
  const chosen: Candidate[] = [];
  for (let k = count, i = n; k > 0 && i > 0;) {
    if (best[k]![i]! > best[k]![i - 1]! + EPS) {
      chosen.push(items[i - 1]!);
      i = prev[i - 1]!;
      k--;
    } else i--;
  }
  return chosen;
}

/** Takes the best candidates that overlap nothing already taken (touching is fine), until `picked` holds `count`. */
function pickGreedy(pool: Candidate[], picked: Candidate[], count: number): void {
  for (const c of pool.sort(byScore)) {
    if (picked.length >= count) return;
    if (picked.every((p) => c.to.t <= p.from.t + EPS || c.from.t >= p.to.t - EPS)) picked.push(c);
  }
}

/**
 * Chooses up to `count` non-overlapping segments of `minSeconds`..`maxSeconds` worth clipping.
 * Segments start and end on natural boundaries (pauses, scene cuts, sentence ends, the source's
 * edges) and are scored by energy, speech presence, boundary cleanliness and liveliness, and with a
 * transcript also by what is said (transcript-score.ts); the best
 * are chosen as the set with the highest total score. Only when natural boundaries cannot supply `count` segments are the rest
 * filled from a fixed grid. A source shorter than `minSeconds` is one segment, whole. Pure and
 * deterministic; segments come back in time order.
 */
export function chooseSegments(signals: Signals, o: ChooseOptions): ChosenSegment[] {
  if (!(o.minSeconds > 0) || !(o.maxSeconds >= o.minSeconds))
    throw new RangeError(`need 0 < minSeconds <= maxSeconds, got ${o.minSeconds}..${o.maxSeconds}`);
  const count = Math.floor(o.count);
  const duration = signals.durationSeconds;
  if (!(count >= 1) || !(duration > 0)) return [];

  const stats = signalIndex(signals);
  const natural = naturalBoundaries(signals, o.sentenceEnds);
  const picked: Candidate[] = [];
  if (duration < o.minSeconds) {
    // Too short to cut: the whole source is the only clip it has.
    const [from, to] = [natural[0]!, natural[natural.length - 1]!];
    const s = stats(0, duration);
    return [
      {
        start: 0,
        end: duration,
        score: round(score(s, from, to, o)),
        reason: `the whole source (shorter than ${o.minSeconds} s), ${reason(s, from, to, o)}`,
      },
    ];
  }
  picked.push(...pickBestSet(candidates(natural, stats, o), count));
  if (picked.length < count)
    pickGreedy(candidates(gridBoundaries(duration, o.minSeconds, natural), stats, o), picked, count);

  return picked
    .sort((a, b) => a.from.t - b.from.t)
    .map((c) => ({
      start: c.from.t,
      end: c.to.t,
      score: round(c.score),
      reason: reason(stats(c.from.t, c.to.t), c.from, c.to, o),
    }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;
