import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Generates a test video with ffmpeg's lavfi sources: a moving test pattern with a timestamp and a
 * sine tone, H.264 + AAC in MP4. Real media, made on the spot, nothing checked in.
 */
export async function makeTestVideo(
  ffmpeg: string,
  out: string,
  options: { seconds?: number; width?: number; height?: number; audio?: boolean } = {},
): Promise<string> {
  const seconds = options.seconds ?? 2;
  const size = `${options.width ?? 640}x${options.height ?? 360}`;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=25:duration=${seconds}`,
  ];
  if (options.audio !== false)
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (options.audio !== false) args.push('-c:a', 'aac', '-shortest');
  args.push(out);
  await run(ffmpeg, args);
  return out;
}

export interface ProbeSummary {
  width: number;
  height: number;
  hasVideo: boolean;
  hasAudio: boolean;
  durationSeconds: number;
}

/** ffprobe's view of a file, reduced to what tests assert on. */
export async function probeSummary(ffprobe: string, file: string): Promise<ProbeSummary> {
  const { stdout } = await run(ffprobe, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  const info = JSON.parse(stdout) as {
    streams: { codec_type: string; width?: number; height?: number }[];
    format: { duration?: string };
  };
  const video = info.streams.find((s) => s.codec_type === 'video');
  return {
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    hasVideo: Boolean(video),
    hasAudio: info.streams.some((s) => s.codec_type === 'audio'),
    durationSeconds: Number(info.format.duration ?? 0),
  };
}
