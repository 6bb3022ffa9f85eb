import { execFile, type ExecFileException } from 'node:child_process';
import {
  containerRefusal,
  inputGuard,
  isAllowedContainer,
  refusedDemuxer,
  type MediaKind,
} from './container-policy.ts';

/** Why a file could not be probed: the first two are the file's fault, the others ours. */
export type ProbeFailure = 'unreadable' | 'not-allowed' | 'tool-missing' | 'timeout' | 'aborted';

export class MediaProbeError extends Error {
  readonly failure: ProbeFailure;
  constructor(failure: ProbeFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MediaProbeError';
    this.failure = failure;
  }

  /** The file itself is bad (a 415 / a permanent task failure), as opposed to our tool failing. */
  get isInputFault(): boolean {
    return this.failure === 'unreadable' || this.failure === 'not-allowed';
  }
}

export interface ProbedStream {
  codecType: string;
  width: number;
  height: number;
  /** Degrees from the display matrix (or the legacy `rotate` tag); 0 when upright. */
  rotation: number;
  frameRate: number;
  /** A cover image stored as a video stream (not a picture that moves). */
  attachedPic: boolean;
  durationSeconds: number;
}

export interface ProbedMedia {
  formatName: string;
  /** 0 when the container states none (a still image, a truncated file). */
  durationSeconds: number;
  streams: ProbedStream[];
}

export interface ProbeOptions {
  kind: MediaKind;
  /** Aborting kills ffprobe at once (a cancelled task). */
  signal?: AbortSignal;
  timeoutMs: number;
}

interface RawStream {
  codec_type?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number | string }[];
}
interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string };
}

const ratio = (text: string | undefined): number => {
  const [num, den] = (text ?? '0/1').split('/').map(Number);
  return den ? (num ?? 0) / den : 0;
};
const finite = (text: string | number | undefined): number => (Number.isFinite(Number(text)) ? Number(text) : 0);

/**
 * Runs ffprobe on a local file through the allow-listed demuxers only (`inputGuard`), killed by
 * `signal` or after `timeoutMs`, and returns what it found. Failures are `MediaProbeError`s that
 * say whose fault they are and, for a bad file, why in ffprobe's own words without our paths.
 */
export function probeMedia(ffprobePath: string, file: string, options: ProbeOptions): Promise<ProbedMedia> {
  const args = ['-v', 'error', ...inputGuard(options.kind), '-show_streams', '-show_format', '-of', 'json', file];
  return new Promise((resolve, reject) => {
    execFile(
      ffprobePath,
      args,
      {
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 8 * 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (err: ExecFileException | null, stdout: string, stderr: string) => {
        if (err) {
          reject(probeFailure(err, stderr, file, options));
          return;
        }
        let raw: RawProbe;
        try {
          raw = JSON.parse(stdout) as RawProbe;
        } catch (cause) {
          reject(new MediaProbeError('unreadable', 'ffprobe could not describe the file', { cause }));
          return;
        }
        const formatName = raw.format?.format_name ?? '';
        // The whitelist already refused other demuxers; checked again so a change there cannot widen it.
        if (!isAllowedContainer(formatName, options.kind)) {
          reject(new MediaProbeError('not-allowed', containerRefusal(formatName || 'unknown', options.kind)));
          return;
        }
        resolve({
          formatName,
          durationSeconds: finite(raw.format?.duration),
          streams: (raw.streams ?? []).map((s) => ({
            codecType: s.codec_type ?? 'unknown',
            width: s.width ?? 0,
            height: s.height ?? 0,
            rotation: finite(s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? s.tags?.rotate),
            frameRate: ratio(s.avg_frame_rate && s.avg_frame_rate !== '0/0' ? s.avg_frame_rate : s.r_frame_rate),
            attachedPic: s.disposition?.attached_pic === 1,
            durationSeconds: finite(s.duration),
          })),
        });
      },
    );
  });
}

function probeFailure(err: ExecFileException, stderr: string, file: string, options: ProbeOptions): MediaProbeError {
  if (err.code === 'ENOENT')
    return new MediaProbeError('tool-missing', 'ffprobe is not installed where FFPROBE_PATH points (install ffmpeg)', {
      cause: err,
    });
  if (options.signal?.aborted || err.name === 'AbortError')
    return new MediaProbeError('aborted', 'ffprobe was stopped', { cause: err });
  if (err.killed)
    return new MediaProbeError('timeout', `ffprobe did not finish within ${options.timeoutMs} ms`, { cause: err });
  const demuxer = refusedDemuxer(stderr);
  if (demuxer) return new MediaProbeError('not-allowed', containerRefusal(demuxer, options.kind), { cause: err });
  return new MediaProbeError(
    'unreadable',
    `the file is not a readable ${options.kind} (${ffprobeComplaint(stderr, file)})`,
    { cause: err },
  );
}

/**
 * ffprobe's complaint without its banner, demuxer tags or our path: e.g. "moov atom not found;
 * Invalid data found when processing input".
 */
export function ffprobeComplaint(stderr: string, file: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) => l && !/^(ffprobe version|built with|configuration:|lib\w+\s+\d|Command failed|ffprobe exited)/.test(l),
    )
    .map((l) =>
      l
        .replace(/^\[[^\]]+\]\s*/, '')
        .split(file)
        .join('')
        .replace(/^[:\s]+/, ''),
    );
  return [...new Set(lines)].slice(-2).join('; ') || 'ffprobe could not read it';
}
