import type { Signals } from './signals.ts';

/** Why a time is a good place to cut: the source's edges, a sentence end, a pause, a scene cut, or a fixed grid (fallback). */
export type BoundaryKind = 'start' | 'end' | 'sentence' | 'pause' | 'cut' | 'grid';

export interface Boundary {
  t: number;
  /** Every reason found at this time, best first. */
  kinds: BoundaryKind[];
  /** How clean a cut here is, 0..1.1: a pause never cuts a word, a scene cut may. */
  quality: number;
}

// Best first: when reasons coincide, the boundary sits where the best one says.
const RANK: Record<BoundaryKind, number> = { start: 0, end: 0, sentence: 1, pause: 2, cut: 3, grid: 4 };
const QUALITY: Record<BoundaryKind, number> = { start: 1, end: 1, sentence: 1, pause: 1, cut: 0.6, grid: 0.2 };
// Two reasons closer than this are one boundary (a cut inside a pause, a sentence end at a pause).
const MERGE_SECONDS = 0.25;
// A long silence gives two boundaries, this far inside each end, so a clip carries little dead air.
const PAUSE_LEAD_SECONDS = 0.5;
/** Above this many boundaries (hours of speech) the weakest close ones are dropped: candidates stay affordable. */
const MAX_BOUNDARIES = 2000;

const byRank = (a: { kind: BoundaryKind; t: number }, b: { kind: BoundaryKind; t: number }) =>
  RANK[a.kind] - RANK[b.kind] || a.t - b.t;

/** Groups time-sorted boundaries closer than `spacing` to the group's first one; each group becomes its best member. */
function cluster(sorted: Boundary[], spacing: number, unionKinds: boolean): Boundary[] {
  const out: Boundary[] = [];
  let group: Boundary[] = [];
  const flush = () => {
    if (!group.length) return;
    const best = [...group].sort(
      (a, b) => RANK[a.kinds[0]!] - RANK[b.kinds[0]!] || b.quality - a.quality || a.t - b.t,
    )[0]!;
    if (!unionKinds) out.push(best);
    else {
      const kinds = [...new Set(group.flatMap((g) => g.kinds))].sort((a, b) => RANK[a] - RANK[b]);
      // Coinciding reasons (a scene cut inside a pause) make a cleaner boundary than either alone.
      const quality = Math.max(...kinds.map((k) => QUALITY[k])) + (kinds.length > 1 ? 0.1 : 0);
      out.push({ t: best.t, kinds, quality });
    }
    group = [];
  };
  for (const b of sorted) {
    if (group.length && b.t - group[0]!.t > spacing) flush();
    group.push(b);
  }
  flush();
  return out;
}

/**
 * Where a clip may start or end: the source's edges, silences (their middle, or just inside both
 * ends of a long one), scene cuts and sentence ends, merged when they coincide and thinned to
 * MAX_BOUNDARIES for very long sources. Sorted by time, all within [0, duration].
 */
export function naturalBoundaries(signals: Signals, sentenceEnds: readonly number[] = []): Boundary[] {
  const d = signals.durationSeconds;
  const raw: { kind: BoundaryKind; t: number }[] = [
    { kind: 'start', t: 0 },
    { kind: 'end', t: d },
  ];
  for (const s of signals.silences) {
    const start = Math.max(0, s.start);
    const end = Math.min(d, s.end);
    if (end <= start) continue;
    if (end - start <= 2 * PAUSE_LEAD_SECONDS) raw.push({ kind: 'pause', t: (start + end) / 2 });
    else raw.push({ kind: 'pause', t: start + PAUSE_LEAD_SECONDS }, { kind: 'pause', t: end - PAUSE_LEAD_SECONDS });
  }
  for (const t of signals.sceneCuts) raw.push({ kind: 'cut', t });
  for (const t of sentenceEnds) raw.push({ kind: 'sentence', t });

  const valid = raw
    .filter((r) => Number.isFinite(r.t) && r.t >= 0 && r.t <= d)
    .sort((a, b) => a.t - b.t || byRank(a, b))
    .map((r): Boundary => ({ t: r.t, kinds: [r.kind], quality: QUALITY[r.kind] }));
  const merged = cluster(valid, MERGE_SECONDS, true);
  if (merged.length <= MAX_BOUNDARIES) return merged;
  return cluster(merged, d / MAX_BOUNDARIES, false);
}

/**
 * The fallback when natural boundaries cannot supply enough clips: a fixed grid whose step divides
 * `minSeconds` (so windows of exactly the minimum length always exist), merged with the natural
 * boundaries, which keep their place where a grid point falls near one.
 */
export function gridBoundaries(durationSeconds: number, minSeconds: number, natural: readonly Boundary[]): Boundary[] {
  const perMin = Math.min(4, Math.max(1, Math.floor((MAX_BOUNDARIES * minSeconds) / durationSeconds)));
  const step = minSeconds / perMin;
  const out = [...natural];
  let n = 0;
  for (let k = 1; k * step < durationSeconds - MERGE_SECONDS; k++) {
    const t = k * step;
    while (n < natural.length && natural[n]!.t < t - MERGE_SECONDS) n++;
    if (n < natural.length && Math.abs(natural[n]!.t - t) <= MERGE_SECONDS) continue;
    out.push({ t, kinds: ['grid'], quality: QUALITY.grid });
  }
  return out.sort((a, b) => a.t - b.t);
}
