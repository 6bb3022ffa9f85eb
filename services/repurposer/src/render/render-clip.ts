import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Span } from '@reelforge/contracts';
import { buildAssDocument, type CaptionStyle } from '../captions/ass-document.ts';
import { cuesForClip } from '../captions/clip-cues.ts';
import type { Cue } from '../captions/cue.ts';
import {
  buildClipCommand,
  buildLoudnessMeasureCommand,
  clipDurationSeconds,
  parseLoudnessMeasurement,
  type ClipSpec,
  type TitleSpec,
} from './clip-command.ts';
import type { FfmpegCommand } from './ffmpeg-command.ts';
import type { ReframeOptions } from './reframe.ts';
import type { ResolvedRender } from './resolve-options.ts';
import { wrapTitle } from './resolve-options.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { buildThumbnailCommand } from './thumbnail.ts';

export interface ClipJob {
  index: number;
  parts: Span[];
  /** Relative to `cwd`. */
  source: string;
  hasAudio: boolean;
  cues: Cue[] | null;
  captionStyle: CaptionStyle;
  titleFontFile: string | null;
  logoFile: string | null;
  /**
   * This clip's own reframe (face tracking's path), or its promise while tracking still runs: the
   * loudness pass runs meanwhile. Absent: the task's.
   */
  reframe?: ReframeOptions | Promise<ReframeOptions>;
}

export interface RenderedClip {
  index: number;
  file: string;
  thumbnail: string;
  durationSeconds: number;
  captioned: boolean;
  /** Every ffmpeg command run for this clip, in order, and the side files they read (the benchmark replays them raw). */
  commands: FfmpegCommand[];
  sideFiles: { name: string; text: string }[];
}

export interface ClipRunContext {
  ffmpegPath: string;
  cwd: string;
  threads: number;
  signal: AbortSignal;
  onProgress: (fraction: number) => void;
}

/** Both values once both have settled (no ffmpeg is left running behind a failure), else the first error. */
async function allOrFirstError<A, B>(a: Promise<A>, b: Promise<B> | B): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

function titleSpec(
  r: ResolvedRender,
  fontFile: string,
  index: number,
  duration: number,
): { spec: TitleSpec; files: { name: string; text: string }[] } | null {
  const t = r.title;
  if (!t || t.start >= duration) return null;
  const lines = wrapTitle(t.text, t.fontSize, r.reframe.width);
  const files = lines.map((text, i) => ({ name: `clip-${index}-title-${i}.txt`, text }));
  return {
    files,
    spec: { ...t, lineFiles: files.map((f) => f.name), fontFile, end: Math.min(t.end, duration) },
  };
}

/**
 * Renders one clip in the task's directory: side files (captions as ASS, title lines), loudnorm's
 * measuring pass, the render, then its thumbnail. Progress: the render is ~90 % of the work.
 */
export async function renderClip(job: ClipJob, r: ResolvedRender, ctx: ClipRunContext): Promise<RenderedClip> {
  const duration = clipDurationSeconds(job.parts, r.transitionSeconds);
  const name = `clip-${String(job.index).padStart(2, '0')}`;
  const commands: FfmpegCommand[] = [];
  const run = (cmd: FfmpegCommand, expectedSeconds: number, onProgress?: (f: number) => void) => {
    commands.push(cmd);
    return runFfmpeg(cmd, {
      ffmpegPath: ctx.ffmpegPath,
      cwd: ctx.cwd,
      signal: ctx.signal,
      expectedSeconds,
      ...(onProgress ? { onProgress } : {}),
    });
  };

  const sideFiles: { name: string; text: string }[] = [];
  let captionsFile: string | null = null;
  const cues = job.cues ? cuesForClip(job.cues, job.parts, r.transitionSeconds) : [];
  if (cues.length > 0) {
    captionsFile = `${name}.ass`;
    sideFiles.push({ name: captionsFile, text: buildAssDocument(cues, job.captionStyle, r.reframe) });
  }
  const title = job.titleFontFile ? titleSpec(r, job.titleFontFile, job.index, duration) : null;
  sideFiles.push(...(title?.files ?? []));
  for (const f of sideFiles) await writeFile(join(ctx.cwd, f.name), f.text);

  const spec: ClipSpec = {
    source: job.source,
    parts: job.parts,
    hasAudio: job.hasAudio,
    reframe: r.reframe,
    fadeSeconds: r.fadeSeconds,
    transition: r.transition,
    transitionSeconds: r.transitionSeconds,
    captionsFile,
    title: title?.spec ?? null,
    logo: job.logoFile && r.logo ? { file: job.logoFile, ...r.logo } : null,
    loudness: r.loudnorm && job.hasAudio ? { targetLufs: r.targetLufs, measured: null } : null,
    encode: { crf: r.crf, preset: r.preset, threads: ctx.threads },
    output: `${name}.mp4`,
  };
  // loudnorm's measuring pass reads the audio alone: it runs while the reframe is still being
  // chosen (face tracking decodes the video meanwhile). Both end before the render starts.
  const [reframe, measured] = await allOrFirstError(
    Promise.resolve(job.reframe ?? r.reframe),
    spec.loudness
      ? run(buildLoudnessMeasureCommand(spec), duration, (f) => ctx.onProgress(f * 0.05)).then(parseLoudnessMeasurement)
      : null,
  );
  spec.reframe = reframe;
  if (spec.loudness) spec.loudness.measured = measured;
  await run(buildClipCommand(spec), duration, (f) => ctx.onProgress(0.05 + f * 0.9));
  const thumbnail = `${name}.jpg`;
  await run(buildThumbnailCommand(spec.output, duration, r.reframe, thumbnail), 0);
  ctx.onProgress(1);
  return {
    index: job.index,
    file: join(ctx.cwd, spec.output),
    thumbnail: join(ctx.cwd, thumbnail),
    durationSeconds: duration,
    captioned: captionsFile !== null,
    commands,
    sideFiles,
  };
}
