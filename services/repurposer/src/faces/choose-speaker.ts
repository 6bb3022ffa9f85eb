import { LINK_DISTANCE, MAX_GAP, centreX, centreY, type Track } from './choose-subject.ts';
import type { MouthFace } from './face.ts';

/** The faces and their mouths at `t` (boxes as fractions of the frame), from the mesh pass. */
export interface MouthSample {
  t: number;
  faces: MouthFace[];
}

export interface SpeakerChoice {
  /** The track that speaks, or null: no clear evidence (the size rule decides). */
  speaker: Track | null;
  /** Each track's score (correlation of its mouth's openness with the loudness; NaN: too few samples). */
  scores: number[];
}

// A track needs this many mouth samples for a score, and the loudness must vary by this many dB over
// the shot: without pauses, a mouth that moves tells nothing about whose voice it is.
const MIN_SAMPLES = 6;
const MIN_LOUDNESS_RANGE_DB = 6;
// The speaker's mouth follows the loudness clearly (r ≥ 0.5) and clearly better than any other's.
const MIN_SCORE = 0.5;
const MIN_LEAD = 0.3;
// Quieter than this is silence whatever the shot's level (dBFS), so hiss does not count as a voice.
const FLOOR_DB = -60;

const db = (rms: number) => Math.max(FLOOR_DB, 20 * Math.log10(Math.max(rms, 1e-9)));

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** The track a mesh face belongs to: the nearest by centre, seen within MAX_GAP, as linkTracks links. */
function trackOf(tracks: readonly Track[], t: number, face: MouthFace['box']): number {
  let best = -1;
  let bestDistance = Infinity;
  for (const [i, track] of tracks.entries()) {
    let nearest = track.points[0]!;
    for (const p of track.points) if (Math.abs(p.t - t) < Math.abs(nearest.t - t)) nearest = p;
    if (Math.abs(nearest.t - t) > MAX_GAP) continue;
    const d = Math.hypot(centreX(face) - centreX(nearest.box), centreY(face) - centreY(nearest.box));
    if (d <= LINK_DISTANCE * Math.max(face.width, nearest.box.width) && d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Who speaks in a shot with several faces: each face's mouth openness over the shot is correlated
 * with the loudness (dB) at the same times; the face whose mouth opens when there is sound and
 * closes in the pauses scores near 1, a still or unrelated mouth near 0. The speaker is the best
 * score when it is clear (≥ MIN_SCORE, ≥ MIN_LEAD over the next); otherwise null. `loudness(t)` is
 * the RMS around `t` (undefined: no audio there).
 */
export function chooseSpeaker(
  tracks: readonly Track[],
  mouths: readonly MouthSample[],
  loudness: (t: number) => number | undefined,
): SpeakerChoice {
  const series = tracks.map(() => ({ open: [] as number[], loud: [] as number[] }));
  const heard: number[] = [];
  for (const m of mouths) {
    const rms = loudness(m.t);
    if (rms === undefined) continue;
    heard.push(db(rms));
    const taken = new Set<number>();
    for (const face of m.faces) {
      const i = trackOf(tracks, m.t, face.box);
      if (i < 0 || taken.has(i)) continue;
      taken.add(i);
      series[i]!.open.push(face.openness);
      series[i]!.loud.push(db(rms));
    }
  }
  const scores = series.map((s) => (s.open.length >= MIN_SAMPLES ? correlation(s.open, s.loud) : NaN));
  const range = heard.length ? Math.max(...heard) - Math.min(...heard) : 0;
  const ranked = scores
    .map((score, i) => ({ score: Number.isNaN(score) ? -1 : score, i }))
    .sort((a, b) => b.score - a.score);
  const [first, second] = ranked;
  const clear =
    range >= MIN_LOUDNESS_RANGE_DB &&
    first !== undefined &&
    second !== undefined &&
    first.score >= MIN_SCORE &&
    first.score - second.score >= MIN_LEAD;
  return { speaker: clear ? tracks[first.i]! : null, scores };
}

/** The mean RMS of the windows overlapping `[t - half, t + half]` (undefined: outside the levels). */
export function loudnessAt(levels: { windowSeconds: number; rms: readonly number[] }, t: number, half: number) {
  const from = Math.max(0, Math.floor((t - half) / levels.windowSeconds));
  const to = Math.min(levels.rms.length, Math.ceil((t + half) / levels.windowSeconds));
  if (to <= from) return undefined;
  let sum = 0;
  for (let i = from; i < to; i++) sum += levels.rms[i]!;
  return sum / (to - from);
}
