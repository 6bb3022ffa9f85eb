import { spawn } from 'node:child_process';
import { inputGuard, type MediaKind } from '@reelforge/media-probe';

/**
 * What an input is: a user's video or image (opened only through allow-listed demuxers and the file
 * protocol, so a playlist or concat list can never make ffmpeg read another file), or a source we
 * generate ourselves (lavfi), which needs no guard.
 */
type InputKind = MediaKind | 'generated';

export interface FfmpegInput {
  path: string;
  kind: InputKind;
  options: string[];
}

/** The options that go before this input's `-i`: the guard first, then its own. */
export function inputArgs(input: FfmpegInput): string[] {
  return input.kind === 'generated' ? input.options : [...inputGuard(input.kind), ...input.options];
}

/** One ffmpeg invocation as data: the pipeline runs it, the benchmark runs the very same one raw. */
export interface FfmpegCommand {
  inputs: FfmpegInput[];
  filterComplex: string | null;
  outputOptions: string[];
  /** A file, or `-` with `-f null` for analysis passes. */
  output: string;
}

/** The argument vector ffmpeg gets (no shell: nothing in it is ever interpreted). */
export function ffmpegArgs(cmd: FfmpegCommand): string[] {
  const args = ['-hide_banner', '-nostdin', '-y'];
  for (const input of cmd.inputs) args.push(...inputArgs(input), '-i', input.path);
  if (cmd.filterComplex) args.push('-filter_complex', cmd.filterComplex);
  args.push(...cmd.outputOptions, cmd.output);
  return args;
}

/** Runs a command directly, with no progress or cancel plumbing: the benchmark's reference. */
export function runFfmpegRaw(ffmpegPath: string, cmd: FfmpegCommand, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-loglevel', 'error', ...ffmpegArgs(cmd)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(cwd ? { cwd } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/**
 * Escapes a file path for a filter option inside a filtergraph (`ass=`, `drawtext=fontfile=`…):
 * first for the filter's option parser (`\` `'` `:` `=`), then for the graph parser (`\` `'` `,`
 * `;` `[` `]`). For an argument vector, never a shell. The pipeline also runs ffmpeg in the task's
 * directory with plain relative names, so user-chosen paths never reach a graph at all.
 */
export function filterPath(path: string): string {
  const option = path.replace(/[\\':=]/g, '\\$&');
  return option.replace(/[\\',;[\]]/g, '\\$&');
}

/** The output every short gets: `seconds` long, H.264 (yuv420p) + AAC 48 kHz stereo, moov first so playback starts before the download ends. */
export function shortVideoOutput(seconds: number, encode: { crf: number; preset: string; threads: number }): string[] {
  return [
    '-t',
    seconds.toFixed(3),
    '-c:v',
    'libx264',
    '-preset',
    encode.preset,
    '-crf',
    String(encode.crf),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ac',
    '2',
    '-ar',
    '48000',
    '-movflags',
    '+faststart',
    '-threads',
    String(encode.threads),
  ];
}
