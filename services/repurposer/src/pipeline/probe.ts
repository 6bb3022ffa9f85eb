import ffmpeg from 'fluent-ffmpeg';
import { invalidInput } from './errors.ts';

export interface ProbeResult {
  durationSeconds: number;
  width: number;
  height: number;
  rotation: number;
  frameRate: number;
  hasAudio: boolean;
}

export interface ProbeLimits {
  maxDurationSeconds: number;
  maxPixels: number;
}

/**
 * Reads the source with ffprobe and rejects, permanently and with a readable reason, what cannot
 * be rendered: unreadable files, no video stream, zero or absurd duration, resolution above the cap.
 * The file's content decides, never its name.
 */
export async function probeSource(ffprobePath: string, file: string, limits: ProbeLimits): Promise<ProbeResult> {
  const data = await new Promise<ffmpeg.FfprobeData>((resolve, reject) => {
    ffmpeg(file)
      .setFfprobePath(ffprobePath)
      .ffprobe((err: Error | null, result: ffmpeg.FfprobeData) => (err ? reject(err) : resolve(result)));
  }).catch((err: Error) => {
    throw invalidInput(`the source is not a readable video (${probeErrorDetail(err.message, file)})`, err);
  });
  const video = data.streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) throw invalidInput('the source has no video stream');
  const width = video.width ?? 0;
  const height = video.height ?? 0;
  if (!width || !height) throw invalidInput('the source video has no frame size');
  if (width * height > limits.maxPixels) throw invalidInput(`the source is ${width}×${height}, above the limit of ${limits.maxPixels} pixels`);
  const duration = Number(data.format.duration ?? video.duration ?? 0);
  if (!Number.isFinite(duration) || duration <= 0) throw invalidInput('the source has no duration (empty or truncated file)');
  if (duration > limits.maxDurationSeconds) throw invalidInput(`the source is ${Math.round(duration)} s long, above the limit of ${limits.maxDurationSeconds} s`);
  const [num, den] = String(video.avg_frame_rate ?? video.r_frame_rate ?? '0/1').split('/').map(Number);
  const rotation = Number((video as { rotation?: number | string }).rotation ?? video.tags?.rotate ?? 0) || 0;
  return {
    durationSeconds: duration,
    width,
    height,
    rotation,
    frameRate: den ? (num ?? 0) / den : 0,
    hasAudio: data.streams.some((s) => s.codec_type === 'audio'),
  };
}

/**
 * ffprobe's complaint without its banner, demuxer tags or our temp path: e.g. "moov atom not
 * found; Invalid data found when processing input".
 */
export function probeErrorDetail(message: string, file: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(ffprobe version|built with|configuration:|lib\w+\s+\d|Command failed|ffprobe exited)/.test(l))
    .map((l) => l.replace(/^\[[^\]]+\]\s*/, '').split(file).join('').replace(/^[:\s]+/, ''));
  return [...new Set(lines)].slice(-2).join('; ') || 'ffprobe could not read it';
}
