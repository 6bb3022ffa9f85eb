import type { Span } from '@reelforge/contracts';
import {
  heaviestTrack,
  linkTracks,
  samplesInShot,
  shotSubject,
  shotTargets,
  type ShotSubject,
} from './choose-subject.ts';
import { buildCropPath, cropWindowWidth, DEFAULT_PATH_BOUNDS, type Keyframe, type PathBounds } from './crop-path.ts';
import { detectFaces } from './detect-faces.ts';
import type { FaceDetector, FaceSample } from './face.ts';
import { findSpeaker } from './find-speaker.ts';
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
  /**
   * Scene cuts of the whole source (seconds), from the analysis pass. null: it did not run (explicit
   * segments), so the sampling decode finds the cuts in the clip's parts itself.
   */
  sceneCuts: readonly number[] | null;
  detector: FaceDetector;
  signal: AbortSignal;
  /**
   * Sampling: frames a second (default 2) and width (default 384: the detector letterboxes every
   * frame to 256×256, so a wider frame finds the same faces and costs ~50 % more per frame).
   */
  fps?: number;
  sampleWidth?: number;
  /**
   * The mesh pass in shots with several faces: frames a second (default 4: a mouth opens and closes
   * several times a second) and width (default 640: the mesh reads the lips from the face's pixels
   * in the frame, and at 384 a 100 px face's lips are a pixel or two apart).
   */
  mouthFps?: number;
  mouthWidth?: number;
  bounds?: PathBounds;
}

/** What tracking found for one clip: a path to follow, or why the clip is not tracked. */
export type TrackPlan =
  | {
      kind: 'track';
      keyframes: Keyframe[];
      shots: number;
      facesInSamples: number;
      samples: number;
      /** Shots with several faces, and in how many of them the speaker was clear (and followed). */
      multiFaceShots: number;
      speakerShots: number;
    }
  | { kind: 'none'; reason: string };

// scdet's threshold when sampling finds the cuts: the analysis pass's default.
const SCENE_THRESHOLD = 10;

// A face in fewer than this share of the samples is not a subject (a poster, a passer-by).
const MIN_FACE_SHARE = 0.2;

/**
 * One clip's crop path: each part sampled (its own seek, as the render does), faces found, a
 * subject chosen per shot (shots end at the source's scene cuts and at each part's join, taken
 * in the middle of its crossfade), then a smooth path per shot, simplified to keyframes. Times are
 * the clip's (what `t` is inside the render's filtergraph). The subject is the face that speaks
 * when a shot has several and the mouths and the sound say which (find-speaker.ts), else the
 * largest and most persistent.
 */
export async function planTrack(r: TrackRequest): Promise<TrackPlan> {
  const windowWidth = cropWindowWidth(displaySize(r.sourceSize), r.output);
  if (windowWidth >= 0.98) return { kind: 'none', reason: 'the source is no wider than the output' };
  const size = sampleSize(r.sourceSize, r.sampleWidth ?? 384);
  const fps = r.fps ?? 2;
  const transition = effectiveTransition(r.parts, r.transitionSeconds);

  const samples: FaceSample[] = [];
  // Each shot also keeps where it is in the source, for the mesh pass.
  const shots: { start: number; end: number; toSource: (t: number) => number; toClip: (t: number) => number }[] = [];
  let offset = 0;
  for (const [i, part] of r.parts.entries()) {
    const length = part.end - part.start;
    // The clip's time of this part's start; its shot edges meet the neighbours mid-crossfade.
    const from = i === 0 ? 0 : offset + transition / 2;
    const to = i === r.parts.length - 1 ? offset + length : offset + length - transition / 2;
    // This part's offset, fixed: the shots keep these mappings after the loop moves on.
    const partOffset = offset;
    const toClip = (t: number) => partOffset + (t - part.start);
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
        ...(r.sceneCuts === null ? { sceneThreshold: SCENE_THRESHOLD } : {}),
        signal: r.signal,
      },
      r.detector,
    );
    for (const s of found.samples) {
      const t = toClip(s.t);
      if (t >= from - 1e-9 && t <= to + 1e-9) samples.push({ t, faces: s.faces });
    }
    const cuts = (r.sceneCuts ?? found.sceneCuts).map(toClip).filter((t) => t > from + 0.05 && t < to - 0.05);
    let start = from;
    const toSource = (t: number) => part.start + (t - partOffset);
    for (const cut of [...cuts, to]) {
      shots.push({ start, end: cut, toSource, toClip });
      start = cut;
    }
    offset += length - transition;
  }

  const withFace = samples.filter((s) => s.faces.length > 0).length;
  if (samples.length === 0) return { kind: 'none', reason: 'no frames could be sampled' };
  if (withFace / samples.length < MIN_FACE_SHARE)
    return { kind: 'none', reason: `a face in ${withFace} of ${samples.length} sampled frames` };
  const mouthSize = sampleSize(r.sourceSize, r.mouthWidth ?? 640);
  const subjects: ShotSubject[] = [];
  let multiFaceShots = 0;
  let speakerShots = 0;
  for (const [i, shot] of shots.entries()) {
    const tracks = linkTracks(samplesInShot(samples, shot, i === shots.length - 1));
    let subject = heaviestTrack(tracks);
    if (tracks.length >= 2) {
      multiFaceShots++;
      const start = shot.toSource(shot.start);
      const { speaker } = await findSpeaker(
        {
          ffmpegPath: r.ffmpegPath,
          cwd: r.cwd,
          source: r.source,
          start,
          duration: shot.toSource(shot.end) - start,
          toClip: shot.toClip,
          detector: r.detector,
          fps: r.mouthFps ?? 4,
          ...mouthSize,
          signal: r.signal,
        },
        tracks,
      );
      if (speaker) {
        subject = speaker;
        speakerShots++;
      }
    }
    subjects.push(shotSubject(shot, tracks, subject));
  }
  const keyframes = buildCropPath(shotTargets(subjects), windowWidth, r.bounds ?? DEFAULT_PATH_BOUNDS);
  return {
    kind: 'track',
    keyframes,
    shots: shots.length,
    facesInSamples: withFace,
    samples: samples.length,
    multiFaceShots,
    speakerShots,
  };
}
