import { TaskErrorCodes, retryable } from '../pipeline/errors.ts';
import { FrameSamplingError } from './face.ts';
import { startPipedFfmpeg } from './piped-ffmpeg.ts';

export interface AudioLevelsOptions {
  ffmpegPath: string;
  input: string;
  cwd?: string;
  /** The span of the source, in seconds. */
  start: number;
  duration: number;
  signal: AbortSignal;
}

/** The loudness of a span of the source: RMS (0..1 of full scale) of each `windowSeconds` from the span's start. */
export interface AudioLevels {
  windowSeconds: number;
  rms: number[];
}

// Speech energy needs no fidelity: 8 kHz mono, 50 ms windows (a syllable is 150–300 ms).
const RATE = 8000;
const WINDOW = 400;

/**
 * The span's audio as mono 16-bit PCM over a pipe, reduced to RMS per 50 ms window as it arrives.
 * A source without audio has no levels (empty). Aborting `signal` SIGKILLs ffmpeg (a retryable
 * FFMPEG_KILLED, as sampling does); another failure is a FrameSamplingError.
 */
export async function audioLevels(o: AudioLevelsOptions): Promise<AudioLevels> {
  if (o.signal.aborted) throw retryable(TaskErrorCodes.FFMPEG_KILLED, 'aborted before reading audio levels');
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-ss',
    o.start.toFixed(3),
    '-t',
    o.duration.toFixed(3),
    '-i',
    o.input,
    // `?`: a source without audio gives no stream, which ffmpeg reports; that is an empty answer.
    '-map',
    '0:a:0?',
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(RATE),
    '-f',
    's16le',
    'pipe:1',
  ];
  let stderr = '';
  const ffmpeg = startPipedFfmpeg({
    ffmpegPath: o.ffmpegPath,
    args,
    cwd: o.cwd,
    signal: o.signal,
    onStderr: (text) => (stderr = (stderr + text).slice(-2000)),
  });

  const rms: number[] = [];
  let sum = 0;
  let count = 0;
  let leftover: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of ffmpeg.stdout as AsyncIterable<Buffer>) {
      // A sample may be split across two chunks: its first byte waits for the next.
      const data = leftover.length ? Buffer.concat([leftover, chunk]) : chunk;
      const whole = data.length - (data.length % 2);
      for (let i = 0; i < whole; i += 2) {
        const v = data.readInt16LE(i) / 32768;
        sum += v * v;
        if (++count === WINDOW) {
          rms.push(Math.sqrt(sum / count));
          sum = 0;
          count = 0;
        }
      }
      leftover = data.subarray(whole);
    }
  } finally {
    ffmpeg.release();
  }
  const { code, error } = await ffmpeg.exited;
  if (ffmpeg.killed) throw retryable(TaskErrorCodes.FFMPEG_KILLED, 'reading audio levels was stopped');
  if (error) throw new FrameSamplingError(`ffmpeg did not start for audio levels: ${error.message}`, { cause: error });
  if (code !== 0) {
    if (/does not contain any stream/i.test(stderr)) return { windowSeconds: WINDOW / RATE, rms: [] };
    throw new FrameSamplingError(
      `reading audio levels failed (ffmpeg exited ${code}): ${stderr.trim().split('\n').slice(-2).join(' ')}`,
    );
  }
  if (count >= WINDOW / 2) rms.push(Math.sqrt(sum / count));
  return { windowSeconds: WINDOW / RATE, rms };
}
