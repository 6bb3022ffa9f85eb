import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SniffedVideo {
  durationSeconds: number;
  width: number;
  height: number;
}

/** Reads a file with ffprobe and returns what it is, or undefined when it is not a playable video. */
export async function sniffVideo(ffprobePath: string, file: string): Promise<SniffedVideo | undefined> {
  try {
    const { stdout } = await run(ffprobePath, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { timeout: 30_000, maxBuffer: 4 * 1024 * 1024 });
    const info = JSON.parse(stdout) as { streams?: { codec_type?: string; width?: number; height?: number; disposition?: { attached_pic?: number } }[]; format?: { duration?: string } };
    const video = info.streams?.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
    const duration = Number(info.format?.duration ?? 0);
    if (!video?.width || !video.height || !(duration > 0)) return undefined;
    return { durationSeconds: duration, width: video.width, height: video.height };
  } catch {
    return undefined;
  }
}
