import type { Span } from '@reelforge/contracts';
import { chooseSubjects, shotTargets } from './choose-subject.ts';
import { buildCropPath, cropWindowWidth, DEFAULT_PATH_BOUNDS, type Keyframe, type PathBounds } from './crop-path.ts';
import { detectFaces } from './detect-faces.ts';
import type { FaceDetector, FaceSample } from './face.ts';
import { displaySize, sampleSize } from './sample-frames.ts';
import { effectiveTransition } from '../render/clip-command.ts';

export interface TrackRequest {
  ffmpegPath: string;
  cwd: string;
  /** Relative to `cwd`. */
  source: string;
  sourceSize: { width: number; height: number; rotation: number };
  output: { width: number; height: number };
  parts: Span[];
  /** The join's crossfade as requested (shortened as the render shortens it). */
  transitionSeconds: number;
  /** Scene cuts of the whole source (seconds), from the analysis pass; [] when unknown. */
  sceneCuts: readonly number[];
  detector: FaceDetector;
  signal: AbortSignal;
  /**
   * Sampling: frames a second (default 2) and width (default 384: the detector letterboxes every
   * frame to 256×256, so a wider frame finds the same faces and costs ~50 % more per frame).
   */
  fps?: number;
  sampleWidth?: number;
  bounds?: PathBounds;
}

/** What tracking found for one clip: a path to follow, or why the clip is not tracked. */
export type TrackPlan =
  | { kind: 'track'; keyframes: Keyframe[]; shots: number; facesInSamples: number; samples: number }
  | { kind: 'none'; reason: string };

// A face in fewer than this share of the samples is not a subject (a poster, a passer-by).
const MIN_FACE_SHARE = 0.2;

/**
 * One clip's crop path: each part sampled (its own seek, as the render does), faces found, a
 * subject chosen per shot (shots end at the source's scene cuts and at each part's join, taken
 * in the middle of its crossfade), then a smooth path per shot, simplified to keyframes. Times are
 * the clip's (what `t` is inside the render's filtergraph).
 */
export async function planTrack(r: TrackRequest): Promise<TrackPlan> {
  const windowWidth = cropWindowWidth(displaySize(r.sourceSize), r.output);
  if (windowWidth >= 0.98) return { kind: 'none', reason: 'the source is no wider than the output' };
  const size = sampleSize(r.sourceSize, r.sampleWidth ?? 384);
  const fps = r.fps ?? 2;
  const transition = effectiveTransition(r.parts, r.transitionSeconds);

  const samples: FaceSample[] = [];
  const shots: { start: number; end: number }[] = [];
  let offset = 0;
  for (const [i, part] of r.parts.entries()) {
    const length = part.end - part.start;
    // The clip's time of this part's start; its shot edges meet the neighbours mid-crossfade.
    const from = i === 0 ? 0 : offset + transition / 2;
    const to = i === r.parts.length - 1 ? offset + length : offset + length - transition / 2;
    const toClip = (t: number) => offset + (t - part.start);
    const found = await detectFaces(
      {
        ffmpegPath: r.ffmpegPath,
        cwd: r.cwd,
        input: r.source,
        start: part.start,
        duration: length,
        fps,
        width: size.width,
        height: size.height,
        threads: 1,
        signal: r.signal,
      },
      r.detector,
    );
    for (const s of found) {
      const t = toClip(s.t);
      if (t >= from - 1e-9 && t <= to + 1e-9) samples.push({ t, faces: s.faces });
    }
    const cuts = r.sceneCuts.map(toClip).filter((t) => t > from + 0.05 && t < to - 0.05);
    let start = from;
    for (const cut of [...cuts, to]) {
      shots.push({ start, end: cut });
      start = cut;
    }
    offset += length - transition;
  }

  const withFace = samples.filter((s) => s.faces.length > 0).length;
  if (samples.length === 0) return { kind: 'none', reason: 'no frames could be sampled' };
  if (withFace / samples.length < MIN_FACE_SHARE)
    return { kind: 'none', reason: `a face in ${withFace} of ${samples.length} sampled frames` };
  const subjects = chooseSubjects(samples, shots);
  const keyframes = buildCropPath(shotTargets(subjects), windowWidth, r.bounds ?? DEFAULT_PATH_BOUNDS);
  return { kind: 'track', keyframes, shots: shots.length, facesInSamples: withFace, samples: samples.length };
}
