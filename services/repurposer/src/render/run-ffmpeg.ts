import { SpanStatusCode, trace } from '@opentelemetry/api';
import ffmpeg from 'fluent-ffmpeg';
import { TaskErrorCodes, invalidInput, retryable } from '../pipeline/errors.ts';
import { isInputError, summarizeFfmpegStderr } from '../pipeline/ffmpeg-stderr.ts';
import { ffmpegArgs, inputArgs, type FfmpegCommand } from './ffmpeg-command.ts';

// The global API's tracer (as instrumentation libraries do): it follows whatever provider the process registers.
const tracer = trace.getTracer('@reelforge/repurposer');

export interface RunOptions {
  ffmpegPath: string;
  /** ffmpeg runs here, so graphs name their side files (captions, title text) relatively. */
  cwd: string;
  signal: AbortSignal;
  /** Seconds of output the command produces: progress is ffmpeg's out_time against it. */
  expectedSeconds: number;
  onProgress?: (fraction: number) => void;
  /** Every stderr line as it arrives (the analysis pass reads its measurements from them); true
   *  when the line was a measurement, which then stays out of the tail an error is told from. */
  onStderrLine?: (line: string) => boolean;
  /** What the command was doing, for a failure's message ("ffmpeg failed while …"). */
  doing?: string;
  /** Options for the first input before its own (the analysis pass's `-hide_banner -nostdin`). */
  leadingInputOptions?: string[];
}

/** Parses ffmpeg's `HH:MM:SS.cc` timemark into seconds. */
export function timemarkSeconds(mark: string): number {
  const m = /^(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(mark.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

// ffmpeg's stats line: `frame=… time=00:00:12.34 …` (or `size=…` for audio-only outputs).
const PROGRESS = /^(?:frame|size)=.*?\btime=\s*(-?\d+:\d{2}:\d{2}(?:\.\d+)?)/;
// Lines kept: enough for loudnorm's JSON summary and an error's last meaningful lines.
const TAIL_LINES = 200;

/**
 * Runs one ffmpeg command through fluent-ffmpeg and resolves with the tail of its stderr
 * (loudnorm's first pass reads its measurement from it). Progress is read from ffmpeg's own stats
 * lines, not fluent-ffmpeg's `progress` event, which starts a hidden ffprobe of the input for
 * every command (from PATH, ignoring FFPROBE_PATH) only to compute a percent we don't use.
 * Aborting `signal` SIGKILLs the process: a retryable FFMPEG_KILLED. A failure becomes a readable
 * error from stderr's last meaningful lines; one caused by the input is permanent.
 */
export function runFfmpeg(cmd: FfmpegCommand, o: RunOptions): Promise<string> {
  // One span per ffmpeg run, under the task's span: the command line and how it ended.
  return tracer.startActiveSpan(
    'ffmpeg',
    { attributes: { 'process.executable.path': o.ffmpegPath, 'process.command_args': ffmpegArgs(cmd) } },
    async (span) => {
      try {
        const tail = await runTraced(cmd, o);
        span.setAttribute('process.exit.code', 0);
        return tail;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function runTraced(cmd: FfmpegCommand, o: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) {
      reject(retryable(TaskErrorCodes.FFMPEG_KILLED, 'aborted before ffmpeg started'));
      return;
    }
    const command = ffmpeg({ cwd: o.cwd, stdoutLines: 1 }).setFfmpegPath(o.ffmpegPath);
    for (const [i, input] of cmd.inputs.entries())
      command.input(input.path).inputOptions([...(i === 0 ? (o.leadingInputOptions ?? []) : []), ...inputArgs(input)]);
    if (cmd.filterComplex) command.complexFilter(cmd.filterComplex);
    command.outputOptions(cmd.outputOptions).output(cmd.output);

    const tail: string[] = [];
    let killed = false;
    const onAbort = () => {
      killed = true;
      command.kill('SIGKILL');
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    command.on('stderr', (line: string) => {
      if (o.onStderrLine?.(line)) return;
      const progress = PROGRESS.exec(line);
      if (progress) {
        if (o.onProgress && o.expectedSeconds > 0)
          o.onProgress(Math.min(1, Math.max(0, timemarkSeconds(progress[1]!) / o.expectedSeconds)));
        return;
      }
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    command.on('error', (err: Error) => {
      o.signal.removeEventListener('abort', onAbort);
      if (killed) {
        reject(retryable(TaskErrorCodes.FFMPEG_KILLED, 'ffmpeg was stopped', err));
        return;
      }
      const text = tail.join('\n') || err.message;
      const summary = summarizeFfmpegStderr(text);
      if (isInputError(text)) reject(invalidInput(`ffmpeg could not read the source: ${summary}`, err));
      else
        reject(
          retryable(
            TaskErrorCodes.FFMPEG_FAILED,
            `ffmpeg failed${o.doing ? ` while ${o.doing}` : ''}: ${summary}`,
            err,
          ),
        );
    });
    command.on('end', () => {
      o.signal.removeEventListener('abort', onAbort);
      o.onProgress?.(1);
      resolve(tail.join('\n'));
    });
    command.run();
  });
}
