import type { Span, Transition } from '@reelforge/contracts';
import { filterPath, shortVideoOutput, type FfmpegCommand } from './ffmpeg-command.ts';
import { reframeFilter, type ReframeOptions } from './reframe.ts';
import type { ResolvedTitle } from './resolve-options.ts';

/** The title as drawn: its resolved style, with the text split into files and the font as a file. */
export interface TitleSpec extends Omit<ResolvedTitle, 'text' | 'fontFamily' | 'bold'> {
  /** One text file per line (relative to ffmpeg's cwd), each centred on its own. */
  lineFiles: string[];
  fontFile: string;
}

interface LogoSpec {
  file: string;
  position: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
  /** Logo width as a fraction of the output width. */
  scale: number;
  opacity: number;
}

/** What loudnorm's first pass measured: fed back to the second pass for an exact, linear gain. */
export interface LoudnessMeasurement {
  input_i: string;
  input_tp: string;
  input_lra: string;
  input_thresh: string;
  target_offset: string;
}

export interface ClipSpec {
  source: string;
  parts: Span[];
  hasAudio: boolean;
  reframe: ReframeOptions;
  fadeSeconds: number;
  transition: Transition;
  transitionSeconds: number;
  /** An ASS file relative to ffmpeg's cwd, or null for no captions. */
  captionsFile: string | null;
  title: TitleSpec | null;
  logo: LogoSpec | null;
  loudness: { targetLufs: number; measured: LoudnessMeasurement | null } | null;
  encode: { crf: number; preset: string; threads: number };
  output: string;
}

const s3 = (n: number) => n.toFixed(3);
const hex = (color: string) => `0x${color.slice(1)}`;
const TRUE_PEAK = -1.5;
const LRA = 11;

/** The transition actually used: never longer than half the shortest part. */
export function effectiveTransition(parts: Span[], seconds: number): number {
  if (parts.length < 2) return 0;
  const shortest = Math.min(...parts.map((p) => p.end - p.start));
  return Math.min(seconds, shortest / 2);
}

/** A clip's length: its parts, less one transition per join (xfade overlaps them). */
export function clipDurationSeconds(parts: Span[], transitionSeconds: number): number {
  const t = effectiveTransition(parts, transitionSeconds);
  return parts.reduce((sum, p) => sum + (p.end - p.start), 0) - t * (parts.length - 1);
}

/** One input per part, seeked by ffmpeg itself (-ss before -i decodes only that span). */
function partInputs(spec: ClipSpec): FfmpegCommand['inputs'] {
  return spec.parts.map((p) => ({
    path: spec.source,
    kind: 'video' as const,
    options: ['-ss', s3(p.start), '-t', s3(p.end - p.start)],
  }));
}

/** Joins labelled streams in order with xfade (video) or acrossfade (audio); returns the graph lines. */
function joinChain(labels: string[], kind: 'v' | 'a', spec: ClipSpec, out: string): string[] {
  if (labels.length === 1) return [`[${labels[0]}]${kind === 'v' ? 'null' : 'anull'}[${out}]`];
  const t = effectiveTransition(spec.parts, spec.transitionSeconds);
  const lines: string[] = [];
  let prev = labels[0]!;
  let offset = 0;
  for (let i = 1; i < labels.length; i++) {
    offset += spec.parts[i - 1]!.end - spec.parts[i - 1]!.start - t;
    const next = i === labels.length - 1 ? out : `${kind}x${i}`;
    lines.push(
      kind === 'v'
        ? `[${prev}][${labels[i]}]xfade=transition=${spec.transition}:duration=${s3(t)}:offset=${s3(offset)}[${next}]`
        : `[${prev}][${labels[i]}]acrossfade=d=${s3(t)}[${next}]`,
    );
    prev = next;
  }
  return lines;
}

function audioJoin(spec: ClipSpec, out: string): string[] {
  const lines = spec.parts.map((_, i) => `[${i}:a]asetpts=PTS-STARTPTS,aresample=48000[a${i}]`);
  return [
    ...lines,
    ...joinChain(
      spec.parts.map((_, i) => `a${i}`),
      'a',
      spec,
      out,
    ),
  ];
}

/** drawtext filters for a title block, one per line, shown between its start and end. */
export function titleFilters(t: TitleSpec, height: number): string[] {
  const lineHeight = Math.round(t.fontSize * 1.25);
  const block = lineHeight * t.lineFiles.length;
  const top =
    t.position === 'top'
      ? Math.round(height * 0.12)
      : t.position === 'middle'
        ? Math.round((height - block) / 2)
        : Math.round(height * 0.62);
  return t.lineFiles.map(
    (file, i) =>
      // expansion=none: drawtext would otherwise expand `%{…}` sequences and drop a line with a bare `%` ("50% off").
      `drawtext=fontfile=${filterPath(t.fontFile)}:textfile=${filterPath(file)}:expansion=none:fontsize=${t.fontSize}:fontcolor=${hex(t.color)}` +
      `:borderw=${t.outlineWidth}:bordercolor=${hex(t.outlineColor)}:x='(w-text_w)/2':y=${top + i * lineHeight}:enable='between(t,${s3(t.start)},${s3(t.end)})'`,
  );
}

const LOGO_XY: Record<LogoSpec['position'], string> = {
  'top-left': "x='W*0.04':y='H*0.04'",
  'top-right': "x='W-w-W*0.04':y='H*0.04'",
  'bottom-left': "x='W*0.04':y='H-h-H*0.04'",
  'bottom-right': "x='W-w-W*0.04':y='H-h-H*0.04'",
};

/**
 * The render of one clip as a single ffmpeg command: parts seeked and joined (xfade), reframed,
 * faded, captioned (ASS/libass), titled (drawtext), watermarked, loudness-normalised, encoded
 * H.264 + AAC with `+faststart`. Pure: the same spec always gives the same command.
 */
export function buildClipCommand(spec: ClipSpec): FfmpegCommand {
  const { width, height } = spec.reframe;
  const duration = clipDurationSeconds(spec.parts, spec.transitionSeconds);
  const inputs = partInputs(spec);
  const graph: string[] = [];

  graph.push(...spec.parts.map((_, i) => `[${i}:v]setpts=PTS-STARTPTS[v${i}]`));
  graph.push(
    ...joinChain(
      spec.parts.map((_, i) => `v${i}`),
      'v',
      spec,
      'vj',
    ),
  );
  graph.push(reframeFilter(spec.reframe, 'vj', 'vr'));

  const chain: string[] = [];
  if (spec.fadeSeconds > 0) {
    const f = Math.min(spec.fadeSeconds, duration / 4);
    chain.push(`fade=t=in:st=0:d=${s3(f)}`, `fade=t=out:st=${s3(duration - f)}:d=${s3(f)}`);
  }
  if (spec.captionsFile) chain.push(`ass=${filterPath(spec.captionsFile)}`);
  if (spec.title) chain.push(...titleFilters(spec.title, height));
  graph.push(`[vr]${chain.length ? chain.join(',') : 'null'}[vt]`);

  if (spec.logo) {
    const index = inputs.length;
    inputs.push({ path: spec.logo.file, kind: 'image', options: [] });
    const w = Math.max(2, Math.round((width * spec.logo.scale) / 2) * 2);
    graph.push(`[${index}:v]scale=${w}:-2,format=rgba,colorchannelmixer=aa=${spec.logo.opacity}[logo]`);
    graph.push(`[vt][logo]overlay=${LOGO_XY[spec.logo.position]}:format=auto,format=yuv420p[vout]`);
  } else {
    graph.push('[vt]format=yuv420p[vout]');
  }

  if (spec.hasAudio) {
    graph.push(...audioJoin(spec, 'aj'));
    const audio: string[] = [];
    const l = spec.loudness;
    if (l) {
      const m = l.measured;
      const measured = m
        ? `:measured_I=${m.input_i}:measured_TP=${m.input_tp}:measured_LRA=${m.input_lra}:measured_thresh=${m.input_thresh}:offset=${m.target_offset}:linear=true`
        : '';
      audio.push(`loudnorm=I=${l.targetLufs}:TP=${TRUE_PEAK}:LRA=${LRA}${measured}`, 'aresample=48000');
    }
    if (spec.fadeSeconds > 0) {
      const f = Math.min(spec.fadeSeconds, duration / 4);
      audio.push(`afade=t=in:st=0:d=${s3(f)}`, `afade=t=out:st=${s3(duration - f)}:d=${s3(f)}`);
    }
    graph.push(`[aj]${audio.length ? audio.join(',') : 'anull'}[aout]`);
  } else {
    // Clip platforms expect an audio track: a silent one.
    const index = inputs.length;
    inputs.push({
      path: 'anullsrc=channel_layout=stereo:sample_rate=48000',
      kind: 'generated',
      options: ['-f', 'lavfi', '-t', s3(duration)],
    });
    graph.push(`[${index}:a]anull[aout]`);
  }

  return {
    inputs,
    filterComplex: graph.join(';'),
    outputOptions: ['-map', '[vout]', '-map', '[aout]', ...shortVideoOutput(duration, spec.encode)],
    output: spec.output,
  };
}

/** loudnorm's first pass over the clip's joined audio only (no video decode): cheap, and makes the second pass linear. */
export function buildLoudnessMeasureCommand(spec: ClipSpec): FfmpegCommand {
  const target = spec.loudness?.targetLufs ?? -14;
  return {
    inputs: partInputs(spec).map((i) => ({ ...i, options: ['-vn', ...i.options] })),
    filterComplex: [
      ...audioJoin(spec, 'aj'),
      `[aj]loudnorm=I=${target}:TP=${TRUE_PEAK}:LRA=${LRA}:print_format=json[aout]`,
    ].join(';'),
    outputOptions: ['-map', '[aout]', '-f', 'null'],
    output: '/dev/null',
  };
}

/** The JSON block loudnorm prints at the end of its first pass. */
export function parseLoudnessMeasurement(stderr: string): LoudnessMeasurement | null {
  const start = stderr.lastIndexOf('{');
  const end = stderr.lastIndexOf('}');
  if (start < 0 || end < start) return null;
  try {
    const m = JSON.parse(stderr.slice(start, end + 1)) as Partial<LoudnessMeasurement>;
    const values = [m.input_i, m.input_tp, m.input_lra, m.input_thresh, m.target_offset];
    // Silence measures as -inf: a linear gain from it is meaningless, so fall back to one pass.
    if (values.some((v) => v === undefined || !Number.isFinite(Number(v)))) return null;
    return m as LoudnessMeasurement;
  } catch {
    return null;
  }
}
