import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '@reelforge/net-policy';
import { PermanentError } from '@reelforge/messaging';
import { chooseFormat } from './choose-format.ts';
import { TaskErrorCodes, invalidInput, retryable } from './errors.ts';
import { startGuardedProxy } from './guarded-proxy.ts';
import { runYtDlp } from './run-yt-dlp.ts';
import type { ChosenFormat, YtDlpInfo } from './yt-dlp-info.ts';

export interface ResolveOptions {
  ytDlpPath: string;
  /** The whole yt-dlp run, metadata only (the download that follows has its own limit). */
  timeoutMs: number;
  /** SOURCE_URL_ALLOW_PRIVATE: local development and tests only. */
  allowPrivate: boolean;
  maxSourceSeconds: number;
  maxBytes: number;
  /** The attempt's work directory: yt-dlp's cwd and HOME. */
  cwd: string;
  signal: AbortSignal;
  /** How the page's host is resolved for the check (tests); the system resolver otherwise. */
  resolveHost?: (host: string) => Promise<string[]>;
}

export interface ResolvedMedia extends ChosenFormat {
  title: string | null;
  /** The platform's duration, already checked against the limit; null when it gives none. */
  durationSeconds: number | null;
}

const systemResolve = (host: string) => lookup(host, { all: true }).then((r) => r.map((a) => a.address));

/** Refuses a page whose host resolves to a private, loopback or link-local address: before yt-dlp runs. */
async function checkPageHost(url: string, o: ResolveOptions): Promise<void> {
  if (o.allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (o.resolveHost ?? systemResolve)(host);
  } catch (err) {
    // The platform's name not resolving is a DNS or network fault, not a verdict on the video.
    throw retryable(TaskErrorCodes.FETCH_FAILED, `the host ${host} does not resolve`, err);
  }
  const bad = addresses.find(isForbiddenAddress);
  if (bad)
    throw new PermanentError(
      TaskErrorCodes.SOURCE_URL_FORBIDDEN,
      `refusing to resolve ${host}: it points at a private or loopback address (${bad})`,
    );
}

/** yt-dlp's answer runs in a proxy that refuses private addresses; a refusal explains its failure. */
async function dumpInfo(url: string, o: ResolveOptions): Promise<YtDlpInfo> {
  const proxy = await startGuardedProxy(o.allowPrivate);
  try {
    const info = await runYtDlp({
      ytDlpPath: o.ytDlpPath,
      url,
      proxyUrl: proxy.url,
      cwd: o.cwd,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
    }).catch((err: unknown) => {
      const refused = proxy.refused();
      if (refused.length > 0 && !o.signal.aborted)
        throw new PermanentError(
          TaskErrorCodes.SOURCE_URL_FORBIDDEN,
          `the link led to a private or loopback address (${refused[0]}); refused`,
          { cause: err },
        );
      throw err;
    });
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, 'yt-dlp found no video at this address');
    return info;
  } finally {
    await proxy.close();
  }
}

/** Refuses before any download what the platform itself says is too large: all streams together (unknown sizes as 0). */
export function checkDeclaredSize(chosen: ChosenFormat, maxBytes: number): void {
  const declared = chosen.streams.reduce((sum, s) => sum + (s.declaredBytes ?? 0), 0);
  if (declared > maxBytes)
    throw new PermanentError(
      TaskErrorCodes.SOURCE_TOO_LARGE,
      `the video is about ${declared} bytes${chosen.streams.length > 1 ? ' (video and audio together)' : ''}; the limit is ${maxBytes}`,
    );
}

/**
 * Turns a video-platform page URL into the URLs of its media (one file, or separate video and
 * audio), with yt-dlp doing only that: the download is ours (fetchPlatformMedia), so MAX_SOURCE_BYTES, the fetch timeout and the address rules apply
 * to the media host as to any source. Refused before any download: a live or upcoming stream, a
 * playlist, a duration over the limit, a declared size over the limit, no whole-file format.
 */
export async function resolvePlatformUrl(url: string, o: ResolveOptions): Promise<ResolvedMedia> {
  await checkPageHost(url, o);
  const info = await dumpInfo(url, o);
  if (info._type === 'playlist' || info._type === 'multi_video')
    throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, 'the link is a playlist or channel, not one video');
  if (info.is_live === true || info.live_status === 'is_live' || info.live_status === 'post_live')
    throw new PermanentError(
      TaskErrorCodes.SOURCE_UNAVAILABLE,
      'the link is a live stream; it can be used once the recording is published',
    );
  if (info.live_status === 'is_upcoming')
    throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, 'the video has not been published yet');
  const duration = typeof info.duration === 'number' && info.duration > 0 ? info.duration : null;
  if (duration !== null && duration > o.maxSourceSeconds)
    throw invalidInput(`the video is ${Math.round(duration)} s long, above the limit of ${o.maxSourceSeconds} s`);
  const chosen = chooseFormat(info);
  if ('problem' in chosen) throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, chosen.problem);
  checkDeclaredSize(chosen, o.maxBytes);
  return { ...chosen, title: typeof info.title === 'string' ? info.title : null, durationSeconds: duration };
}
