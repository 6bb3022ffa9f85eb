import { DomainError } from '@reelforge/contracts';
import { probeUpload } from './probe-upload.ts';

export interface SniffedVideo {
  durationSeconds: number;
  width: number;
  height: number;
}

/**
 * Reads an uploaded file with ffprobe, through the allow-listed containers only, and returns what
 * video it is. A file that is not a playable video in an accepted container is a 415 saying why;
 * our own trouble (no ffprobe, a sniff that does not finish) is a 503 naming the cause, never
 * blamed on the file.
 */
export async function sniffVideo(ffprobePath: string, file: string): Promise<SniffedVideo> {
  const probed = await probeUpload(ffprobePath, file, 'video');
  const video = probed.streams.find((s) => s.codecType === 'video' && !s.attachedPic);
  if (!video?.width || !video.height)
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the file has no video stream (checked by its content, not its name)',
    );
  const duration = probed.durationSeconds || video.durationSeconds;
  if (!(duration > 0))
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the file has no duration: it is a still image, empty or truncated',
    );
  return { durationSeconds: duration, width: video.width, height: video.height };
}
