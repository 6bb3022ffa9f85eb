/**
 * Just enough RIFF/WAVE to measure and join the audio we synthesise: the exact duration comes from
 * the sample count (no estimate, no ffprobe round trip), pauses from the samples themselves.
 */

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

export interface WavInfo {
  /** 1 = integer PCM, 3 = IEEE float (WAVE_FORMAT_EXTENSIBLE is resolved to its sub-format). */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per sample frame (all channels). */
  blockAlign: number;
  dataOffset: number;
  /** Bytes of whole sample frames actually present (a streamed header's bogus size is ignored). */
  dataLength: number;
  frames: number;
  seconds: number;
}

const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;

/**
 * Reads a WAV header. A streamed WAV (as HTTP APIs send) may state a data size of 0 or 0xFFFFFFFF,
 * or one past the end: the bytes present count, cut to whole frames.
 */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE')
    throw new WavFormatError('not a RIFF/WAVE file');
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataLength' | 'frames' | 'seconds'> | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavFormatError('truncated fmt chunk');
      let format = buf.readUInt16LE(body);
      if (format === EXTENSIBLE && size >= 40 && body + 26 <= buf.length) format = buf.readUInt16LE(body + 24);
      fmt = {
        format,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.blockAlign < 1) throw new WavFormatError('invalid fmt chunk');
      const present = buf.length - body;
      const stated = size === 0 || size === 0xffffffff || size > present ? present : size;
      const frames = Math.floor(stated / fmt.blockAlign);
      return {
        ...fmt,
        dataOffset: body,
        dataLength: frames * fmt.blockAlign,
        frames,
        seconds: frames / fmt.sampleRate,
      };
    }
    offset = body + size + (size % 2);
  }
  throw new WavFormatError(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** Reads one sample as a magnitude in [0, 1], or null for a sample format we do not read. */
function sampleReader(buf: Buffer, info: WavInfo): ((offset: number) => number) | null {
  if (info.format === PCM && info.bitsPerSample === 16) return (o) => Math.abs(buf.readInt16LE(o)) / 32768;
  if (info.format === PCM && info.bitsPerSample === 8) return (o) => Math.abs(buf.readUInt8(o) - 128) / 128;
  if (info.format === PCM && info.bitsPerSample === 24) return (o) => Math.abs(buf.readIntLE(o, 3)) / 8388608;
  if (info.format === PCM && info.bitsPerSample === 32) return (o) => Math.abs(buf.readInt32LE(o)) / 2147483648;
  if (info.format === FLOAT && info.bitsPerSample === 32) return (o) => Math.abs(buf.readFloatLE(o));
  return null;
}

export interface Span {
  start: number;
  end: number;
}

/**
 * Runs of frames whose every channel stays below `thresholdDb` (dBFS) for at least `minSeconds`,
 * in seconds: the rule of ffmpeg's `silencedetect` (noise/duration), read straight from the samples
 * (no process, exact to the sample). Null for a sample format we do not read: callers then estimate.
 */
export function findSilences(
  buf: Buffer,
  info: WavInfo,
  o: { thresholdDb: number; minSeconds: number },
): Span[] | null {
  const read = sampleReader(buf, info);
  const bytes = info.bitsPerSample / 8;
  if (!read || bytes * info.channels > info.blockAlign) return null;
  const threshold = 10 ** (o.thresholdDb / 20);
  const minFrames = Math.max(1, Math.round(o.minSeconds * info.sampleRate));
  const spans: Span[] = [];
  let runStart = -1;
  for (let f = 0; f <= info.frames; f++) {
    let quiet = f < info.frames;
    if (quiet) {
      const base = info.dataOffset + f * info.blockAlign;
      for (let c = 0; c < info.channels && quiet; c++) quiet = read(base + c * bytes) < threshold;
    }
    if (quiet && runStart < 0) runStart = f;
    if (!quiet && runStart >= 0) {
      if (f - runStart >= minFrames) spans.push({ start: runStart / info.sampleRate, end: f / info.sampleRate });
      runStart = -1;
    }
  }
  return spans;
}

/** A 16-byte-fmt PCM WAV header for `dataLength` bytes of the given format. */
function header(
  info: Pick<WavInfo, 'format' | 'channels' | 'sampleRate' | 'bitsPerSample' | 'blockAlign'>,
  dataLength: number,
): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataLength, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(info.format, 20);
  h.writeUInt16LE(info.channels, 22);
  h.writeUInt32LE(info.sampleRate, 24);
  h.writeUInt32LE(info.sampleRate * info.blockAlign, 28);
  h.writeUInt16LE(info.blockAlign, 32);
  h.writeUInt16LE(info.bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataLength, 40);
  return h;
}

/**
 * Joins WAVs of one format sample for sample (no resampling, no gap), so each part starts exactly
 * at the sum of the earlier parts' durations.
 */
export function concatWavs(parts: { buf: Buffer; info: WavInfo }[]): Buffer {
  const first = parts[0];
  if (!first) throw new WavFormatError('nothing to join');
  for (const p of parts) {
    if (
      p.info.format !== first.info.format ||
      p.info.channels !== first.info.channels ||
      p.info.sampleRate !== first.info.sampleRate ||
      p.info.bitsPerSample !== first.info.bitsPerSample
    ) {
      throw new WavFormatError('cannot join WAVs of different formats');
    }
  }
  const data = parts.map((p) => p.buf.subarray(p.info.dataOffset, p.info.dataOffset + p.info.dataLength));
  const length = data.reduce((n, d) => n + d.length, 0);
  return Buffer.concat([header(first.info, length), ...data]);
}
