import type { FfmpegCommand, FfmpegInput } from '../render/ffmpeg-command.ts';

export interface NormalizeAudioOptions {
  channels: 1 | 2;
  /** `pcm`: 16-bit WAV (for further mixing); `aac`: AAC in an MP4/M4A container (for muxing as is). */
  codec: 'pcm' | 'aac';
  /** Integrated loudness to aim for (LUFS); -16 is the usual target for speech on phones. */
  targetLufs?: number;
  /** Ceiling for true peaks (dBTP). */
  truePeakDb?: number;
}

const OUTPUT_SAMPLE_RATE = 48_000;

/**
 * A narration WAV, opened as exactly what it must be: ffmpeg reads it through the file protocol and
 * the `wav` demuxer only. `MediaKind` (libs/media-probe) has no audio kind — its `video` list has no
 * `wav`, so its guard would refuse our file — and `generated` means "lavfi, no guard"; the WAV may
 * come from an HTTP API, so it gets this guard of its own (same options, wav-only), under the
 * 'generated' kind that passes options through untouched.
 */
export function narrationInput(path: string): FfmpegInput {
  return {
    path: `file:${path}`,
    kind: 'generated',
    options: ['-protocol_whitelist', 'file', '-format_whitelist', 'wav', '-f', 'wav'],
  };
}

/**
 * The ffmpeg command that turns one scene's narration into 48 kHz PCM or AAC at a steady loudness:
 * a single `loudnorm` pass (dynamic mode, to about `targetLufs`; short clips land within a LU or
 * so, which is enough because the final mix is normalised again) and a resample to 48 kHz.
 * loudnorm works at 192 kHz internally, hence the explicit resample. It keeps every sample (no
 * trim, no pad), so the duration — and the word timings measured on the input — stay as they are
 * (PCM: to the sample; AAC: to its 1024-sample frame, which an MP4 edit list hides).
 * Paths are `file:` URLs, so a name can never be taken for an option or another protocol.
 */
export function normalizeAudioCommand(inFile: string, outFile: string, o: NormalizeAudioOptions): FfmpegCommand {
  const loudness = o.targetLufs ?? -16;
  const peak = o.truePeakDb ?? -1.5;
  const codec =
    o.codec === 'pcm'
      ? ['-c:a', 'pcm_s16le', '-f', 'wav']
      : ['-c:a', 'aac', '-b:a', o.channels === 1 ? '96k' : '160k', '-f', 'mp4'];
  return {
    inputs: [narrationInput(inFile)],
    filterComplex: `[0:a]loudnorm=I=${loudness}:TP=${peak}:LRA=11,aresample=${OUTPUT_SAMPLE_RATE}[a]`,
    outputOptions: ['-map', '[a]', '-ac', String(o.channels), '-ar', String(OUTPUT_SAMPLE_RATE), ...codec],
    output: `file:${outFile}`,
  };
}
