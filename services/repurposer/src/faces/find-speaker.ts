import { audioLevels } from './audio-levels.ts';
import { chooseSpeaker, loudnessAt, type MouthSample, type SpeakerChoice } from './choose-speaker.ts';
import type { Track } from './choose-subject.ts';
import type { FaceDetector } from './face.ts';
import { sampleFrames } from './sample-frames.ts';

export interface SpeakerRequest {
  ffmpegPath: string;
  cwd: string;
  /** Relative to `cwd`. */
  source: string;
  /** The shot's span of the source, in seconds. */
  start: number;
  duration: number;
  /** Source time → the tracks' time base (the clip's). */
  toClip: (t: number) => number;
  detector: FaceDetector;
  /** The mesh pass's frames: per second (mouths move faster than heads), and their size (even). */
  fps: number;
  width: number;
  height: number;
  signal: AbortSignal;
}

/**
 * Who speaks in one shot with several face tracks: the shot is sampled again at `fps` for the face
 * mesh (mouth openness per face) while ffmpeg reads its audio's loudness, then chooseSpeaker.
 * Only shots with ≥ 2 faces come here: this pass decodes the shot again and runs twice as many
 * frames as detection did.
 */
export async function findSpeaker(r: SpeakerRequest, tracks: readonly Track[]): Promise<SpeakerChoice> {
  const mouths: MouthSample[] = [];
  const [levels] = await Promise.all([
    audioLevels({
      ffmpegPath: r.ffmpegPath,
      cwd: r.cwd,
      input: r.source,
      start: r.start,
      duration: r.duration,
      signal: r.signal,
    }),
    sampleFrames(
      {
        ffmpegPath: r.ffmpegPath,
        cwd: r.cwd,
        input: r.source,
        start: r.start,
        duration: r.duration,
        fps: r.fps,
        width: r.width,
        height: r.height,
        threads: 1,
        signal: r.signal,
      },
      async (frame, t) => {
        const faces = await r.detector.mouths(frame);
        mouths.push({
          t: r.toClip(r.start + t),
          faces: faces.map((f) => ({
            openness: f.openness,
            box: {
              x: f.box.x / frame.width,
              y: f.box.y / frame.height,
              width: f.box.width / frame.width,
              height: f.box.height / frame.height,
              score: f.box.score,
            },
          })),
        });
      },
    ),
  ]);
  const half = 0.5 / r.fps;
  // The levels start at the shot's start: a mouth at clip time `m.t` is `m.t - toClip(start)` into them.
  const origin = r.toClip(r.start);
  return chooseSpeaker(tracks, mouths, (t) => loudnessAt(levels, t - origin, half));
}
