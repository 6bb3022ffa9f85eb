import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { runFfmpeg } from '../render/run-ffmpeg.ts';
import { TaskErrorCodes, retryable } from './errors.ts';
import { fetchSource, type FetchLimits } from './fetch-source.ts';
import type { ChosenFormat } from './yt-dlp-info.ts';

export interface PlatformMediaOptions {
  ffmpegPath: string;
  /** The attempt's work directory: the separate streams are downloaded and joined here. */
  work: string;
  limits: FetchLimits;
  signal: AbortSignal;
}

/**
 * Downloads a resolved platform video to `dest` with our fetcher (the address rules, redirect limit
 * and cancel apply to every stream's host). One progressive file is downloaded as any source is.
 * Separate streams share one budget — their bytes together at most `maxBytes`, one time limit —
 * audio first (small: a failure there costs little), then joined without re-encoding into Matroska,
 * which holds any pair of codecs the platforms use (H.264/VP9/AV1 with AAC/Opus).
 */
export async function fetchPlatformMedia(
  media: ChosenFormat,
  dest: string,
  o: PlatformMediaOptions,
): Promise<{ bytes: number }> {
  const [only, ...more] = media.streams;
  if (!only) throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, 'the platform gave no media to download');
  if (more.length === 0) return fetchSource(only.url, dest, o.limits, o.signal, only.headers);

  const deadline = Date.now() + o.limits.timeoutMs;
  const parts: Array<{ path: string; kind: string }> = [];
  let bytes = 0;
  try {
    for (const stream of media.streams) {
      const part = { path: join(o.work, `source.${stream.kind}`), kind: stream.kind };
      parts.push(part);
      const got = await fetchSource(
        stream.url,
        part.path,
        // What the streams before left of the budget; at least 1 ms so an exhausted one times out at once.
        { ...o.limits, maxBytes: o.limits.maxBytes - bytes, timeoutMs: Math.max(1, deadline - Date.now()) },
        o.signal,
        stream.headers,
      ).catch((err: unknown) => {
        throw sharedBudgetError(err, o.limits);
      });
      bytes += got.bytes;
    }
    await joinStreams(parts, dest, o);
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  } finally {
    await Promise.all(parts.map((p) => rm(p.path, { force: true })));
  }
  return { bytes };
}

/** The fetcher speaks of one stream's share of the budget; the task's reason names the whole budget. */
function sharedBudgetError(err: unknown, limits: FetchLimits): unknown {
  if (err instanceof PermanentError && err.code === TaskErrorCodes.SOURCE_TOO_LARGE)
    return new PermanentError(
      TaskErrorCodes.SOURCE_TOO_LARGE,
      `the video's separate streams together exceed the limit of ${limits.maxBytes} bytes`,
      { cause: err },
    );
  if (err instanceof RetryableError && err.code === TaskErrorCodes.TIMED_OUT)
    return retryable(
      TaskErrorCodes.TIMED_OUT,
      `the video's separate streams together took longer than ${limits.timeoutMs} ms to download`,
      err,
    );
  return err;
}

/** One `-c copy` remux, the picture first: nothing decoded; killed when the task is cancelled. */
async function joinStreams(
  parts: Array<{ path: string; kind: string }>,
  dest: string,
  o: PlatformMediaOptions,
): Promise<void> {
  const video = parts.findIndex((p) => p.kind === 'video');
  const audio = parts.findIndex((p) => p.kind === 'audio');
  await runFfmpeg(
    {
      inputs: parts.map(({ path }) => ({ path, kind: 'video' as const, options: [] })),
      filterComplex: null,
      outputOptions: ['-map', `${video}:v:0`, '-map', `${audio}:a:0`, '-c', 'copy', '-f', 'matroska'],
      output: dest,
    },
    {
      ffmpegPath: o.ffmpegPath,
      cwd: o.work,
      signal: o.signal,
      expectedSeconds: 0,
      doing: 'joining the video and audio streams',
    },
  );
}
