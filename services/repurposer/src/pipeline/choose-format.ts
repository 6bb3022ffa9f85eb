import type { ChosenFormat, ChosenStream, YtDlpFormat, YtDlpInfo } from './yt-dlp-info.ts';

/** The shorter side of the frame we prefer at most: the output is 1080 wide, more only costs download. */
export const MAX_SHORT_SIDE = 1080;
/** A progressive file below this (YouTube's 360p) is worth replacing with separate video and audio. */
export const SPLIT_BELOW_SHORT_SIDE = 720;

// Only these go along to the media request. A platform's cookies must not follow a redirect to
// another host (yt-dlp's own CVE-2023-35934), and we send none of our own.
const FORWARDED_HEADERS = new Set(['user-agent', 'accept', 'accept-language', 'referer', 'origin']);

const isHttpUrl = (url: unknown): url is string => typeof url === 'string' && /^https?:\/\//i.test(url);

/** The URL without its `range` query parameter, the rest in a stable order (to compare fragments). */
function withoutRange(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('range');
  u.searchParams.sort();
  u.hash = '';
  return u.href;
}

/**
 * A "segmented" format whose fragments are all the same file: YouTube's split streams in yt-dlp
 * 2023.03.04 (`url` plus fragments `url&range=a-b`), or a DASH SegmentList of byte ranges of one
 * file (yt-dlp drops the ranges: `fragment_base_url` plus fragments with the same `path`). The whole
 * file at that one URL is the stream. Anything else (HLS, real multi-segment DASH) is not.
 */
function wholeFileOfSegments(f: YtDlpFormat): string | null {
  if (f.protocol !== 'http_dash_segments' || !Array.isArray(f.fragments) || f.fragments.length === 0) return null;
  const base = f.fragment_base_url ?? f.url;
  if (!isHttpUrl(base)) return null;
  const files = new Set<string>();
  for (const fragment of f.fragments) {
    let url: string;
    try {
      url = fragment.url ?? new URL(fragment.path ?? '', f.fragment_base_url ?? base).href;
    } catch {
      return null;
    }
    if (!isHttpUrl(url)) return null;
    files.add(withoutRange(url));
  }
  const [file, ...others] = [...files];
  if (file === undefined || others.length > 0) return null;
  // The file must be the format's own media URL, never the manifest that listed it.
  const own = f.fragment_base_url ?? (f.url !== f.manifest_url ? f.url : undefined);
  return own !== undefined && withoutRange(own) === file ? own : null;
}

/** The one plain http(s) URL a format can be downloaded from whole, or null (manifests, DRM). */
export function directUrl(f: YtDlpFormat): string | null {
  if (f.has_drm === true) return null;
  if (f.protocol === undefined || f.protocol === 'http' || f.protocol === 'https')
    return isHttpUrl(f.url) ? f.url : null;
  return wholeFileOfSegments(f);
}

const hasVideo = (f: YtDlpFormat) => f.vcodec !== 'none';
// Unknown (null/absent) counts as present: the generic extractor knows neither codec of a <video>.
const hasAudio = (f: YtDlpFormat) => f.acodec !== 'none';
const shortSide = (f: YtDlpFormat): number | null => {
  const sides = [f.width, f.height].filter((n): n is number => typeof n === 'number' && n > 0);
  return sides.length ? Math.min(...sides) : null;
};
const known = (f: YtDlpFormat) => (f.vcodec ? 1 : 0) + (f.acodec ? 1 : 0);
const isH264Mp4 = (f: YtDlpFormat) => f.ext === 'mp4' && /^(avc|h264)/i.test(f.vcodec ?? '');
const isAacM4a = (f: YtDlpFormat) => (f.ext === 'm4a' || f.ext === 'mp4') && /^(mp4a|aac)/i.test(f.acodec ?? '');

/** Best first: the largest frame within MAX_SHORT_SIDE, then known codecs, then MP4, then bit rate. */
function rank(a: YtDlpFormat, b: YtDlpFormat): number {
  return (
    (shortSide(b) ?? 0) - (shortSide(a) ?? 0) ||
    known(b) - known(a) ||
    Number(b.ext === 'mp4') - Number(a.ext === 'mp4') ||
    (b.tbr ?? 0) - (a.tbr ?? 0)
  );
}

/** The largest within MAX_SHORT_SIDE, else the smallest above. */
function bestProgressive(formats: YtDlpFormat[]): YtDlpFormat | undefined {
  const progressive = formats.filter((f) => directUrl(f) !== null && hasVideo(f) && hasAudio(f));
  const fitting = progressive.filter((f) => (shortSide(f) ?? 0) <= MAX_SHORT_SIDE).sort(rank);
  const larger = progressive
    .filter((f) => (shortSide(f) ?? 0) > MAX_SHORT_SIDE)
    .sort((a, b) => (shortSide(a) ?? 0) - (shortSide(b) ?? 0));
  return fitting[0] ?? larger[0];
}

/**
 * The best video-only stream (the largest within MAX_SHORT_SIDE, else the smallest above; H.264 in
 * MP4 where equal, cheapest to decode; then bit rate) and audio-only stream (AAC, then bit rate).
 */
function bestSplit(formats: YtDlpFormat[]): { video: YtDlpFormat; audio: YtDlpFormat } | null {
  const direct = formats.filter((f) => directUrl(f) !== null);
  const videos = direct.filter((f) => f.acodec === 'none' && typeof f.vcodec === 'string' && f.vcodec !== 'none');
  const fitting = videos
    .filter((f) => (shortSide(f) ?? 0) <= MAX_SHORT_SIDE)
    .sort(
      (a, b) =>
        (shortSide(b) ?? 0) - (shortSide(a) ?? 0) ||
        Number(isH264Mp4(b)) - Number(isH264Mp4(a)) ||
        (b.tbr ?? 0) - (a.tbr ?? 0),
    );
  const larger = videos
    .filter((f) => (shortSide(f) ?? 0) > MAX_SHORT_SIDE)
    .sort((a, b) => (shortSide(a) ?? 0) - (shortSide(b) ?? 0) || Number(isH264Mp4(b)) - Number(isH264Mp4(a)));
  const video = fitting[0] ?? larger[0];
  const audio = direct
    .filter((f) => f.vcodec === 'none' && typeof f.acodec === 'string' && f.acodec !== 'none')
    .sort((a, b) => Number(isAacM4a(b)) - Number(isAacM4a(a)) || (b.tbr ?? 0) - (a.tbr ?? 0))[0];
  return video && audio ? { video, audio } : null;
}

// Called only with formats directUrl accepted, so the URL is never empty.
function stream(f: YtDlpFormat, kind: ChosenStream['kind']): ChosenStream {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(f.http_headers ?? {}))
    if (FORWARDED_HEADERS.has(name.toLowerCase()) && typeof value === 'string') headers[name] = value;
  const declared = f.filesize ?? f.filesize_approx;
  return {
    url: directUrl(f) ?? '',
    formatId: f.format_id ?? 'unknown',
    headers,
    kind,
    declaredBytes: typeof declared === 'number' && declared > 0 ? declared : null,
  };
}

function refusal(formats: YtDlpFormat[]): { problem: string } {
  if (formats.some((f) => f.has_drm === true)) return { problem: 'the video is DRM-protected' };
  if (formats.some((f) => directUrl(f) !== null))
    return { problem: 'the platform offers no downloadable file with both picture and sound for this video' };
  return {
    problem:
      'the platform offers this video only as streaming manifests (HLS or multi-segment DASH), which are not supported',
  };
}

/**
 * Picks what to download, each a whole file over plain http(s) (no HLS or multi-segment DASH,
 * which our fetcher does not assemble): the best progressive file (video and audio in one), the
 * largest whose shorter side is at most 1080, else the smallest above. When that is below 720 or
 * missing, a video-only stream (chosen the same way by size) and an audio-only stream instead (YouTube offers a
 * progressive file only at 360p); they are downloaded separately and joined. No usable format: a
 * readable refusal, which the caller fails the task with.
 */
export function chooseFormat(info: YtDlpInfo): ChosenFormat | { problem: string } {
  const formats = info.formats?.length ? info.formats : [info];
  const progressive = bestProgressive(formats);
  const progressiveSide = progressive ? shortSide(progressive) : null;
  // An unknown size keeps the progressive file: it may well be large enough, and it is one download.
  const wantsSplit = !progressive || (progressiveSide !== null && progressiveSide < SPLIT_BELOW_SHORT_SIDE);
  const split = wantsSplit ? bestSplit(formats) : null;
  // Separate streams only when they give a larger picture than the progressive file (or there is none).
  if (split && (!progressive || (shortSide(split.video) ?? 0) > (progressiveSide ?? 0)))
    return {
      formatId: `${split.video.format_id ?? 'unknown'}+${split.audio.format_id ?? 'unknown'}`,
      // Audio first: it is small, and a failure there costs little.
      streams: [stream(split.audio, 'audio'), stream(split.video, 'video')],
      width: split.video.width ?? null,
      height: split.video.height ?? null,
    };
  if (!progressive) return refusal(formats);
  return {
    formatId: progressive.format_id ?? 'unknown',
    streams: [stream(progressive, 'av')],
    width: progressive.width ?? null,
    height: progressive.height ?? null,
  };
}
