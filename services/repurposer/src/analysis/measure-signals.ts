import { dirname, resolve } from 'node:path';
import { runFfmpeg, timemarkSeconds } from '../render/run-ffmpeg.ts';
import type { FfmpegCommand } from '../render/ffmpeg-command.ts';
import type { Interval, LoudnessPoint, Signals } from './signals.ts';

export interface SignalsCommandOptions {
  input: string;
  hasAudio: boolean;
  threads: number;
  /** Below this level audio counts as silent (dBFS). Default -35. */
  silenceNoiseDb?: number;
  /** Shorter quiet stretches are not silences (seconds). Default 0.4. */
  silenceMinSeconds?: number;
  /** scdet's threshold in percent: higher finds fewer, harder cuts. Default 10. */
  sceneThreshold?: number;
}

export interface MeasureSignalsOptions extends SignalsCommandOptions {
  ffmpegPath: string;
  /** The source's duration (from probe): progress, and the end of a silence still open at EOF. */
  durationSeconds: number;
  signal: AbortSignal;
  /** 0..1 of the pass, from ffmpeg's own time. */
  onProgress: (fraction: number) => void;
}

// ebur128 reports the 400 ms window that ends at `t`; we keep the window's centre, and drop the
// first points, whose window is not full yet (they read as near-silence).
const MOMENTARY_WINDOW = 0.4;
// ebur128's own floor for "no signal"; -inf and nan are mapped to it so points stay finite.
const LUFS_FLOOR = -120.7;

// Only lines that start with the filter's own log prefix: container metadata (titles, comments)
// is printed indented, so a file cannot plant fake measurements.
const EBUR128_LINE = /^\[[^\]]*ebur128[^\]]*\] t: *([\d.]+)\s.*?\bM: *(\S+)/;
const SILENCE_START = /^\[[^\]]*silencedetect[^\]]*\] silence_start: *(-?[\d.]+)/;
const SILENCE_END = /^\[[^\]]*silencedetect[^\]]*\] silence_end: *(-?[\d.]+)/;
/** scdet's log line for a cut (its time in seconds of the output's timeline). */
export const SCENE_CUT = /^\[[^\]]*scdet[^\]]*\] .*lavfi\.scd\.time: *(-?[\d.]+)/;
const PROGRESS = /^(?:frame|size)=.*?\btime=\s*(-?\d+:\d{2}:\d{2}(?:\.\d+)?)/;

const ms = (t: number) => Math.round(t * 1000) / 1000;

function finite(name: string, value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
  return value;
}

/**
 * The analysis pass as data: one decode of the source to the null muxer. Video: scdet on a 160×90
 * downscale (cuts need no detail, a frame difference ignores the aspect ratio, and the detector
 * becomes nearly free: decoding is the pass's cost). Audio: ebur128's momentary loudness, logged
 * every 0.1 s, then silencedetect. Everything is read from the info-level log, so it stays at info.
 * The benchmark runs this very command raw.
 */
export function buildSignalsCommand(o: SignalsCommandOptions): FfmpegCommand {
  const noiseDb = finite('silenceNoiseDb', o.silenceNoiseDb ?? -35);
  const minSilence = finite('silenceMinSeconds', o.silenceMinSeconds ?? 0.4);
  const sceneThreshold = finite('sceneThreshold', o.sceneThreshold ?? 10);
  // 0:V skips cover art and thumbnails, which some files carry as a video stream. `area` averages
  // when shrinking: fast_bilinear aliases film grain into frame-to-frame flicker that scdet scores
  // up to 6 (threshold 10) on noisy 1080p, area keeps it under 1, for ~10% more CPU in this pass.
  const graph = [`[0:V:0]scale=160:90:flags=area,scdet=threshold=${sceneThreshold}[vo]`];
  if (o.hasAudio)
    graph.push(`[0:a:0]ebur128=framelog=info,silencedetect=noise=${noiseDb}dB:duration=${minSilence}[ao]`);
  return {
    inputs: [
      {
        path: o.input,
        kind: 'video',
        options: ['-loglevel', 'info', '-threads', String(Math.max(0, Math.floor(o.threads)))],
      },
    ],
    filterComplex: graph.join(';'),
    outputOptions: ['-map', '[vo]', ...(o.hasAudio ? ['-map', '[ao]'] : []), '-f', 'null'],
    output: '-',
  };
}

/** Builds Signals from ffmpeg's stderr, a line at a time: memory grows with the measurements, never with the log. */
function signalCollector(durationSeconds: number, onProgress: (fraction: number) => void) {
  const loudness: LoudnessPoint[] = [];
  const silences: Interval[] = [];
  const sceneCuts: number[] = [];
  let silenceStart: number | null = null;
  const clampT = (t: number) => Math.min(durationSeconds, Math.max(0, t));

  return {
    /** Reads one stderr line; true when it was a measurement or progress (not for an error's tail). */
    line: (raw: string): boolean => {
      const line = raw.trim();
      let m: RegExpExecArray | null;
      if ((m = EBUR128_LINE.exec(line))) {
        const end = Number(m[1]);
        if (end < MOMENTARY_WINDOW - 0.001) return true;
        const lufs = Number.parseFloat(m[2] ?? '');
        loudness.push({
          t: ms(end - MOMENTARY_WINDOW / 2),
          lufs: Number.isFinite(lufs) ? Math.max(LUFS_FLOOR, lufs) : LUFS_FLOOR,
        });
      } else if ((m = SILENCE_START.exec(line))) {
        silenceStart = clampT(Number(m[1]));
      } else if ((m = SILENCE_END.exec(line))) {
        // silencedetect prints an end at EOF for a silence still open; past the duration because of codec padding.
        const end = clampT(Number(m[1]));
        if (silenceStart !== null && end > silenceStart) silences.push({ start: ms(silenceStart), end: ms(end) });
        silenceStart = null;
      } else if ((m = SCENE_CUT.exec(line))) {
        const t = Number(m[1]);
        if (t > 0 && t < durationSeconds) sceneCuts.push(ms(t));
      } else if ((m = PROGRESS.exec(line))) {
        if (durationSeconds > 0) onProgress(Math.min(1, Math.max(0, timemarkSeconds(m[1]!) / durationSeconds)));
      } else return false;
      return true;
    },
    finish: (): Signals => {
      // Some ffmpeg versions print no end for a silence open at EOF: it lasts to the end.
      if (silenceStart !== null && durationSeconds > silenceStart)
        silences.push({ start: ms(silenceStart), end: ms(durationSeconds) });
      silenceStart = null;
      return {
        durationSeconds,
        loudness: loudness.sort((a, b) => a.t - b.t),
        silences: silences.sort((a, b) => a.start - b.start),
        sceneCuts: [...new Set(sceneCuts)].sort((a, b) => a - b),
      };
    },
  };
}

/**
 * Measures what segment choice needs in one ffmpeg pass (see buildSignalsCommand), reading the
 * measurements from stderr as lines arrive, so nothing but the results is kept, whatever the
 * source's length. Progress comes from the same lines, not from fluent-ffmpeg's 'progress' event,
 * which would start an extra ffprobe on the input. ffmpeg runs in the input's directory (a task's
 * ffmpeg is found by its working directory). Aborting `signal` SIGKILLs ffmpeg: a retryable
 * FFMPEG_KILLED; a failure caused by the input is permanent.
 */
export async function measureSignals(o: MeasureSignalsOptions): Promise<Signals> {
  const input = resolve(o.input);
  const collector = signalCollector(o.durationSeconds, o.onProgress);
  await runFfmpeg(buildSignalsCommand({ ...o, input }), {
    ffmpegPath: o.ffmpegPath,
    cwd: dirname(input),
    signal: o.signal,
    // Progress comes from the collector, which reads the same lines.
    expectedSeconds: 0,
    onStderrLine: (line) => collector.line(line),
    doing: 'analysing the source',
    leadingInputOptions: ['-hide_banner', '-nostdin'],
  });
  o.onProgress(1);
  return collector.finish();
}
