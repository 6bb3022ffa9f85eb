import type { FaceBox, FaceSample } from './face.ts';
import type { ShotTargets, TargetPoint } from './crop-path.ts';

/** A face followed across samples: where it was each time it was seen. */
export interface Track {
  points: { t: number; box: FaceBox }[];
  /** Σ area × confidence over its samples: big and persistent wins. */
  weight: number;
}

export const centreX = (b: FaceBox) => b.x + b.width / 2;
export const centreY = (b: FaceBox) => b.y + b.height / 2;

// A face continues a track when its centre is within this many face widths of the track's last
// box, seen at most MAX_GAP seconds before; otherwise it starts a new track.
export const LINK_DISTANCE = 1;
export const MAX_GAP = 1.5;

/** Links one shot's faces into tracks, greedily, nearest first. Boxes are fractions of the frame. */
export function linkTracks(samples: readonly FaceSample[]): Track[] {
  const tracks: Track[] = [];
  for (const s of samples) {
    const taken = new Set<Track>();
    const faces = [...s.faces].sort((a, b) => b.width * b.height - a.width * a.height);
    for (const face of faces) {
      let best: Track | null = null;
      let bestDistance = Infinity;
      for (const track of tracks) {
        if (taken.has(track)) continue;
        const last = track.points[track.points.length - 1]!;
        if (s.t - last.t > MAX_GAP) continue;
        const d = Math.hypot(centreX(face) - centreX(last.box), centreY(face) - centreY(last.box));
        if (d <= LINK_DISTANCE * Math.max(face.width, last.box.width) && d < bestDistance) {
          best = track;
          bestDistance = d;
        }
      }
      const track = best ?? { points: [], weight: 0 };
      if (!best) tracks.push(track);
      track.points.push({ t: s.t, box: face });
      track.weight += face.width * face.height * face.score;
      taken.add(track);
    }
  }
  return tracks;
}

export interface ShotSubject {
  start: number;
  end: number;
  /** The subject's centre across the frame (0..1) each time it was seen; empty: no face in this shot. */
  targets: TargetPoint[];
  /** How many faces were followed in this shot (the subject is one of them). */
  faces: number;
}

/** A shot's samples: `[start, end)`, the last shot also taking a sample at its end. */
export function samplesInShot(samples: readonly FaceSample[], shot: { start: number; end: number }, last: boolean) {
  return samples.filter((s) => s.t >= shot.start && (s.t < shot.end || (last && s.t <= shot.end)));
}

/** The largest and most persistent face: the largest Σ area × confidence over the shot's samples. */
export const heaviestTrack = (tracks: readonly Track[]): Track | null =>
  tracks.reduce<Track | null>((a, b) => (a && a.weight >= b.weight ? a : b), null);

/** A shot with its subject (null: no face), as the path builder takes it. */
export const shotSubject = (
  shot: { start: number; end: number },
  tracks: readonly Track[],
  subject: Track | null,
): ShotSubject => ({
  start: shot.start,
  end: shot.end,
  targets: subject ? subject.points.map((p) => ({ t: p.t, x: centreX(p.box) })) : [],
  faces: tracks.length,
});

/**
 * Each shot's subject by size alone: the heaviest track. This is the whole rule for a shot with one
 * face, and the fallback when a shot with several gives no clear speaker (choose-speaker.ts).
 * Samples are `t`-sorted; shots are `[start, end)` in the same time base and cover the samples.
 */
export function chooseSubjects(
  samples: readonly FaceSample[],
  shots: readonly { start: number; end: number }[],
): ShotSubject[] {
  return shots.map((shot, i) => {
    const tracks = linkTracks(samplesInShot(samples, shot, i === shots.length - 1));
    return shotSubject(shot, tracks, heaviestTrack(tracks));
  });
}

/** Shots as the path builder takes them. */
export const shotTargets = (subjects: readonly ShotSubject[]): ShotTargets[] =>
  subjects.map((s) => ({ start: s.start, end: s.end, targets: s.targets }));
