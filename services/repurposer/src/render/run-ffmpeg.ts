import ffmpeg from 'fluent-ffmpeg';
import { TaskErrorCodes, invalidInput, retryable } from '../pipeline/errors.ts';
import { isInputError, summarizeFfmpegStderr } from '../pipeline/ffmpeg-stderr.ts';
import type { FfmpegCommand } from './ffmpeg-command.ts';

export interface RunOptions {
  ffmpegPath: string;
  /** ffmpeg runs here, so graphs name their side files (captions, title text) relatively. */
  cwd: string;
  signal: AbortSignal;
  /** Seconds of output the command produces: progress is ffmpeg's out_time against it. */
  expectedSeconds: number;
  onProgress?: (fraction: number) => void;
}

/** Parses ffmpeg's `HH:MM:SS.cc` timemark into seconds. */
export function timemarkSeconds(mark: string): number {
  const m = /^(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(mark.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

/**
 * Runs one ffmpeg command through fluent-ffmpeg and resolves with its stderr (analysis passes read
 * their measurements from it). Aborting `signal` SIGKILLs the process: a retryable FFMPEG_KILLED.
 * A failure becomes a readable error from stderr's last meaningful lines; one caused by the input
 * is permanent.
 */
export function runFfmpeg(cmd: FfmpegCommand, o: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) return reject(retryable(TaskErrorCodes.FFMPEG_KILLED, 'aborted before ffmpeg started'));
    const command = ffmpeg({ cwd: o.cwd, stdoutLines: 200 }).setFfmpegPath(o.ffmpegPath);
    for (const input of cmd.inputs) command.input(input.path).inputOptions(input.options);
    if (cmd.filterComplex) command.complexFilter(cmd.filterComplex);
    command.outputOptions(cmd.outputOptions).output(cmd.output);

    let killed = false;
    const onAbort = () => {
      killed = true;
      command.kill('SIGKILL');
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    command.on('progress', (p: { timemark?: string }) => {
      if (p.timemark && o.onProgress) o.onProgress(Math.min(1, Math.max(0, timemarkSeconds(p.timemark) / o.expectedSeconds)));
    });
    command.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      o.signal.removeEventListener('abort', onAbort);
      if (killed) return reject(retryable(TaskErrorCodes.FFMPEG_KILLED, 'ffmpeg was stopped', err));
      const text = stderr ?? err.message;
      const summary = summarizeFfmpegStderr(text);
      if (isInputError(text)) reject(invalidInput(`ffmpeg could not read the source: ${summary}`, err));
      else reject(retryable(TaskErrorCodes.FFMPEG_FAILED, `ffmpeg failed: ${summary}`, err));
    });
    command.on('end', (_stdout: string | null, stderr: string | null) => {
      o.signal.removeEventListener('abort', onAbort);
      o.onProgress?.(1);
      resolve(stderr ?? '');
    });
    command.run();
  });
}
