import type { Span } from '@reelforge/contracts';
import type { ReframeOptions } from '../render/reframe.ts';
import type { ResolvedRender } from '../render/resolve-options.ts';
import type { FaceDetector } from './face.ts';
import { planTrack } from './plan-track.ts';

export interface ClipReframeRequest {
  r: ResolvedRender;
  parts: Span[];
  ffmpegPath: string;
  cwd: string;
  source: string;
  sourceSize: { width: number; height: number; rotation: number };
  /** The analysis pass's scene cuts; null: it did not run, tracking finds the clip's own. */
  sceneCuts: readonly number[] | null;
  /** Loads (once per process) the detector; absent: this worker does not track faces. */
  faceDetector: (() => Promise<FaceDetector>) | undefined;
  signal: AbortSignal;
}

/** How a clip is reframed, and what to record about it (null: nothing new to say, the mode was chosen). */
export interface ClipReframe {
  reframe: ReframeOptions;
  /** For the clip's `reason`, the progress message and the log: `reframe: track (…)` or why not. */
  note: string | null;
  /** Set when tracking was wanted but could not run (detector or sampling failed): logged as a warning. */
  failure: string | null;
}

/** Empty when no shot had several faces; else how often the speaker decided and the size rule did not. */
const speakerNote = (p: { multiFaceShots: number; speakerShots: number }) =>
  p.multiFaceShots === 0
    ? ''
    : `; speaker: the face whose mouth moves with the voice in ${p.speakerShots} of ${p.multiFaceShots} shot${p.multiFaceShots === 1 ? '' : 's'} with several faces${p.speakerShots < p.multiFaceShots ? ', the largest face in the others' : ''}`;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The clip's reframe: `track` along a face path when tracking is wanted (mode `track`, or the
 * portrait default) and a subject is found; otherwise the task's own reframe (fit_blur), with the
 * reason. A detector that does not load, or sampling that fails, never fails the clip; a cancel
 * (the signal) does.
 */
export async function chooseClipReframe(q: ClipReframeRequest): Promise<ClipReframe> {
  const fallback = q.r.reframe;
  if (q.r.tracking === 'off') return { reframe: fallback, note: null, failure: null };
  if (!q.faceDetector)
    // The portrait default on a worker without tracking renders as before, saying nothing.
    return q.r.tracking === 'auto'
      ? { reframe: fallback, note: null, failure: null }
      : { reframe: fallback, note: `reframe: ${fallback.mode} (face tracking is not available)`, failure: null };
  try {
    const detector = await q.faceDetector();
    const plan = await planTrack({
      ffmpegPath: q.ffmpegPath,
      cwd: q.cwd,
      source: q.source,
      sourceSize: q.sourceSize,
      output: { width: fallback.width, height: fallback.height },
      parts: q.parts,
      transitionSeconds: q.r.transitionSeconds,
      sceneCuts: q.sceneCuts,
      detector,
      signal: q.signal,
    });
    if (plan.kind === 'none')
      return { reframe: fallback, note: `reframe: ${fallback.mode} (not tracked: ${plan.reason})`, failure: null };
    return {
      reframe: { ...fallback, mode: 'track', trackPath: plan.keyframes },
      note: `reframe: track (a face in ${plan.facesInSamples} of ${plan.samples} sampled frames, ${plan.shots} shot${plan.shots === 1 ? '' : 's'}, ${plan.keyframes.length} keyframes${speakerNote(plan)})`,
      failure: null,
    };
  } catch (err) {
    if (q.signal.aborted) throw err;
    const why = message(err);
    return {
      reframe: fallback,
      note: `reframe: ${fallback.mode} (face tracking failed: ${why})`,
      failure: why,
    };
  }
}
