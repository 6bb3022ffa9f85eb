import { MediaProbeError, probeMedia, type MediaKind } from '@reelforge/media-probe';
import { invalidInput, retryable, TaskErrorCodes } from './errors.ts';

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

/** ffprobe reads headers only: a minute is far beyond any honest file. */
const PROBE_TIMEOUT_MS = 60_000;

/**
 * Reads the source with ffprobe (allow-listed containers only) and rejects, permanently and with a
 * readable reason, what cannot be rendered: unreadable files, playlists and other containers that
 * name other files, no video stream, zero or absurd duration, resolution above the cap. The
 * file's content decides, never its name. `signal` kills ffprobe (a cancelled task).
 */
export async function probeSource(
  ffprobePath: string,
  file: string,
  limits: ProbeLimits,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const data = await probeOrFail(ffprobePath, file, 'video', 'the source', signal);
  const video = data.streams.find((s) => s.codecType === 'video' && !s.attachedPic);
  if (!video) throw invalidInput('the source has no video stream');
  const { width, height } = video;
  if (!width || !height) throw invalidInput('the source video has no frame size');
  if (width * height > limits.maxPixels)
    throw invalidInput(`the source is ${width}×${height}, above the limit of ${limits.maxPixels} pixels`);
  const duration = data.durationSeconds || video.durationSeconds;
  if (!Number.isFinite(duration) || duration <= 0)
    throw invalidInput('the source has no duration (empty or truncated file)');
  if (duration > limits.maxDurationSeconds)
    throw invalidInput(
      `the source is ${Math.round(duration)} s long, above the limit of ${limits.maxDurationSeconds} s`,
    );
  return {
    durationSeconds: duration,
    width,
    height,
    rotation: video.rotation,
    frameRate: video.frameRate,
    hasAudio: data.streams.some((s) => s.codecType === 'audio'),
  };
}

/** Checks that a side input (a logo) is a single still image in an accepted format. */
export async function probeImage(ffprobePath: string, file: string, what: string, signal?: AbortSignal): Promise<void> {
  const data = await probeOrFail(ffprobePath, file, 'image', what, signal);
  if (!data.streams.some((s) => s.codecType === 'video' && s.width > 0 && s.height > 0))
    throw invalidInput(`${what} is not an image`);
}

/** A bad file is the input's fault (permanent); a missing, stuck or stopped ffprobe is retried. */
async function probeOrFail(ffprobePath: string, file: string, kind: MediaKind, what: string, signal?: AbortSignal) {
  try {
    return await probeMedia(ffprobePath, file, { kind, timeoutMs: PROBE_TIMEOUT_MS, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (!(err instanceof MediaProbeError)) throw err;
    if (err.isInputFault) throw invalidInput(`${what} is ${err.message.replace(/^the file is /, '')}`, err);
    if (err.failure === 'aborted') throw retryable(TaskErrorCodes.FFMPEG_KILLED, 'ffprobe was stopped', err);
    throw retryable(TaskErrorCodes.FFMPEG_FAILED, err.message, err);
  }
}
