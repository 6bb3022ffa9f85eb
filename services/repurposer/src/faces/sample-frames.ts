import { Readable } from 'node:stream';
import { SCENE_CUT } from '../analysis/measure-signals.ts';
import { inputArgs } from '../render/ffmpeg-command.ts';
import { TaskErrorCodes, retryable } from '../pipeline/errors.ts';
import { FrameSamplingError, type RgbFrame } from './face.ts';
import { startPipedFfmpeg } from './piped-ffmpeg.ts';

export interface SampleFramesOptions {
  ffmpegPath: string;
  /** The source file (absolute, or relative to `cwd`). */
  input: string;
  cwd?: string;
  /** The span of the source to sample, in seconds. */
  start: number;
  duration: number;
  /** Frames per second sampled (2–4 is plenty for a face that moves at walking pace). */
  fps: number;
  /** Size of the sampled frames (even; the caller keeps the source's aspect). BlazeFace sees a
   *  256×256 letterboxed copy whatever the size, so anything from 256 wide up finds the same faces. */
  width: number;
  height: number;
  /** ffmpeg threads for this decode: 1 keeps the other core free for the detector. */
  threads: number;
  /**
   * Also find scene cuts in the span, in the same decode (scdet on a 160×90 copy, as the analysis
   * pass does, at this threshold): for clips whose analysis pass did not run. Absent: none sought.
   */
  sceneThreshold?: number;
  signal: AbortSignal;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The source's size as displayed (ffmpeg applies the rotation when it decodes). */
export function displaySize(source: { width: number; height: number; rotation: number }) {
  const quarter = Math.abs(Math.round(source.rotation / 90)) % 2 === 1;
  return quarter ? { width: source.height, height: source.width } : { width: source.width, height: source.height };
}

/** The sampled frames' size: `width` wide at the source's displayed aspect. */
export function sampleSize(
  source: { width: number; height: number; rotation: number },
  width: number,
): { width: number; height: number } {
  const d = displaySize(source);
  return { width: even(width), height: even((width * d.height) / d.width) };
}

/**
 * ffmpeg's arguments: seek to the span, keep `fps` frames a second, scale, write raw RGB to stdout.
 * No files: the frames go through the pipe, one at a time.
 */
export function sampleFramesArgs(o: Omit<SampleFramesOptions, 'signal' | 'ffmpegPath' | 'cwd'>): string[] {
  const frames = `fps=${o.fps},scale=${o.width}:${o.height}:flags=bilinear`;
  // scdet logs its cuts at info level; the sampled frames take the other branch of the split.
  const graph =
    o.sceneThreshold === undefined
      ? ['-map', '0:V:0', '-vf', frames]
      : [
          '-filter_complex',
          `[0:V:0]split=2[c][f];[c]scale=160:90:flags=area,scdet=threshold=${o.sceneThreshold},nullsink;[f]${frames}[v]`,
          '-map',
          '[v]',
        ];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    o.sceneThreshold === undefined ? 'error' : 'info',
    '-nostats',
    '-threads',
    String(o.threads),
    // Detection needs no exact pixels: skipping the deblocking filter and the frames nothing refers
    // to (most B-frames) halves the decode, which is most of sampling's cost. The frame nearest each
    // sample time is then at most a B-run (≈ 0.1 s) off, and so is a cut scdet finds, unless (as
    // encoders do at a cut) the new shot starts on a reference frame.
    '-skip_loop_filter',
    'all',
    '-skip_frame',
    'noref',
    ...inputArgs({ path: o.input, kind: 'video', options: [] }),
    '-ss',
    o.start.toFixed(3),
    '-t',
    o.duration.toFixed(3),
    '-i',
    o.input,
    ...graph,
    '-an',
    '-sn',
    '-filter_threads',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** Frames read ahead of `onFrame`: ffmpeg decodes these while the detector works (~250 KB each at 384 px). */
const READ_AHEAD_FRAMES = 3;

/** The raw RGB frames on ffmpeg's stdout, each a view of the bytes read (no copy when a read holds it whole). */
async function* framesOf(stdout: AsyncIterable<Buffer>, frameBytes: number): AsyncGenerator<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of stdout) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= frameBytes) {
      yield new Uint8Array(pending.buffer, pending.byteOffset, frameBytes);
      pending = pending.subarray(frameBytes);
    }
  }
}

/**
 * Decodes a span of the source at `fps` and hands each frame to `onFrame` with its time (seconds
 * from the span's start), one at a time. Up to READ_AHEAD_FRAMES more are read while `onFrame`
 * works, so ffmpeg decodes the next frames meanwhile (with one frame in memory, it waited on the
 * pipe: decode and detection took turns); past that, the pipe's backpressure makes ffmpeg wait. With `sceneThreshold`, each scene cut found goes to
 * `onSceneCut` (seconds from the span's start) as ffmpeg logs it. Aborting `signal` SIGKILLs ffmpeg: a retryable
 * FFMPEG_KILLED, as for every other ffmpeg. Any other failure is a FrameSamplingError. Resolves
 * with the number of frames.
 */
export async function sampleFrames(
  o: SampleFramesOptions,
  onFrame: (frame: RgbFrame, t: number) => Promise<void> | void,
  onSceneCut: (t: number) => void = () => {},
): Promise<number> {
  if (o.signal.aborted) throw retryable(TaskErrorCodes.FFMPEG_KILLED, 'aborted before frame sampling started');
  const frameBytes = o.width * o.height * 3;
  let stderr = '';
  let line = '';
  const ffmpeg = startPipedFfmpeg({
    ffmpegPath: o.ffmpegPath,
    args: sampleFramesArgs(o),
    cwd: o.cwd,
    signal: o.signal,
    onStderr: (text) => {
      // Cuts are read a line at a time; the other lines are kept as the error's tail (its last lines).
      const lines = (line + text).split('\n');
      line = lines.pop() ?? '';
      for (const l of lines) {
        const m = SCENE_CUT.exec(l.trim());
        if (m) onSceneCut(Number(m[1]));
        else stderr = `${stderr}${l}\n`.slice(-2000);
      }
    },
  });

  let frames = 0;
  // An object-mode Readable pulls from the generator until it holds highWaterMark frames, whether
  // or not the loop below is busy: that is the read-ahead. Leaving the loop destroys it and stdout.
  const readAhead = Readable.from(framesOf(ffmpeg.stdout as AsyncIterable<Buffer>, frameBytes), {
    objectMode: true,
    highWaterMark: READ_AHEAD_FRAMES,
  });
  try {
    for await (const data of readAhead as AsyncIterable<Uint8Array>) {
      await onFrame({ width: o.width, height: o.height, data }, frames / o.fps);
      frames++;
      if (ffmpeg.killed) break;
    }
  } catch (err) {
    ffmpeg.kill();
    await ffmpeg.exited;
    if (ffmpeg.killed) throw retryable(TaskErrorCodes.FFMPEG_KILLED, 'frame sampling was stopped', err);
    throw err;
  } finally {
    ffmpeg.release();
  }
  const { code, error } = await ffmpeg.exited;
  stderr += line;
  if (ffmpeg.killed) throw retryable(TaskErrorCodes.FFMPEG_KILLED, 'frame sampling was stopped');
  if (error)
    throw new FrameSamplingError(`ffmpeg did not start for frame sampling: ${error.message}`, { cause: error });
  if (code !== 0)
    throw new FrameSamplingError(
      `frame sampling failed (ffmpeg exited ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
  return frames;
}
