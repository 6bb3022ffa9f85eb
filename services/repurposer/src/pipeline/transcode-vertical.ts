import ffmpeg from 'fluent-ffmpeg';
import { TaskErrorCodes, invalidInput, retryable } from './errors.ts';
import { isInputError, summarizeFfmpegStderr } from './ffmpeg-stderr.ts';

export interface TranscodeOptions {
  ffmpegPath: string;
  input: string;
  output: string;
  width: number;
  height: number;
  /** Length of the output in seconds (the source's, or the cut). */
  durationSeconds: number;
  hasAudio: boolean;
  crf: number;
  preset: string;
  threads: number;
  signal: AbortSignal;
  /** 0..1 of this clip, from ffmpeg's own out_time. */
  onProgress: (fraction: number) => void;
}

/** Parses ffmpeg's `HH:MM:SS.cc` timemark into seconds. */
export function timemarkSeconds(mark: string): number {
  const m = /^(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(mark.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

/**
 * Reframes to width×height by scaling to cover and cropping the centre, H.264 (libx264) + AAC,
 * `+faststart` so players start before the whole file arrives. A source without audio gets a
 * silent track: clip platforms expect one. The ffmpeg process is killed (SIGKILL) when `signal`
 * aborts.
 */
export function transcodeVertical(o: TranscodeOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) return reject(retryable(TaskErrorCodes.FFMPEG_KILLED, 'aborted before ffmpeg started'));
    const cmd = ffmpeg(o.input).setFfmpegPath(o.ffmpegPath);
    if (!o.hasAudio) cmd.input('anullsrc=channel_layout=stereo:sample_rate=48000').inputFormat('lavfi');
    cmd
      .videoFilters([`scale=${o.width}:${o.height}:force_original_aspect_ratio=increase`, `crop=${o.width}:${o.height}`, 'setsar=1'])
      .outputOptions([
        '-map', '0:v:0',
        '-map', o.hasAudio ? '0:a:0' : '1:a:0',
        '-t', o.durationSeconds.toFixed(3),
        '-c:v', 'libx264', '-preset', o.preset, '-crf', String(o.crf), '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
        '-movflags', '+faststart',
        '-threads', String(o.threads),
      ])
      .format('mp4');
    let killed = false;
    const onAbort = () => {
      killed = true;
      cmd.kill('SIGKILL');
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    cmd.on('progress', (p: { timemark?: string }) => {
      if (p.timemark) o.onProgress(Math.min(1, Math.max(0, timemarkSeconds(p.timemark) / o.durationSeconds)));
    });
    cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      o.signal.removeEventListener('abort', onAbort);
      if (killed) return reject(retryable(TaskErrorCodes.FFMPEG_KILLED, 'ffmpeg was stopped', err));
      const text = stderr ?? err.message;
      const summary = summarizeFfmpegStderr(text);
      if (isInputError(text)) reject(invalidInput(`ffmpeg could not read the source: ${summary}`, err));
      else reject(retryable(TaskErrorCodes.FFMPEG_FAILED, `ffmpeg failed: ${summary}`, err));
    });
    cmd.on('end', () => {
      o.signal.removeEventListener('abort', onAbort);
      o.onProgress(1);
      resolve();
    });
    cmd.save(o.output);
  });
}
