/** The fields of a yt-dlp format we read (the JSON has many more). */
export interface YtDlpFormat {
  format_id?: string;
  url?: string;
  protocol?: string;
  ext?: string;
  /** 'none' when the format has no video; absent or null when the extractor does not know. */
  vcodec?: string | null;
  acodec?: string | null;
  width?: number | null;
  height?: number | null;
  tbr?: number | null;
  filesize?: number | null;
  filesize_approx?: number | null;
  has_drm?: boolean | null;
  http_headers?: Record<string, string>;
}

/** The top level of `yt-dlp --dump-single-json`, as far as we read it. */
export interface YtDlpInfo extends YtDlpFormat {
  _type?: string;
  title?: string;
  duration?: number | null;
  is_live?: boolean | null;
  live_status?: string | null;
  formats?: YtDlpFormat[];
}

export interface ChosenFormat {
  url: string;
  formatId: string;
  /** Headers the platform expects on the media request, cookies and credentials left out. */
  headers: Record<string, string>;
  width: number | null;
  height: number | null;
  /** The platform's own size, when it gives one (checked against MAX_SOURCE_BYTES before any download). */
  declaredBytes: number | null;
}

/** The shorter side of the frame we prefer at most: the output is 1080 wide, more only costs download. */
export const MAX_SHORT_SIDE = 1080;

// Only these go along to the media request. A platform's cookies must not follow a redirect to
// another host (yt-dlp's own CVE-2023-35934), and we send none of our own.
const FORWARDED_HEADERS = new Set(['user-agent', 'accept', 'accept-language', 'referer', 'origin']);

const isDirect = (f: YtDlpFormat): f is YtDlpFormat & { url: string } =>
  typeof f.url === 'string' &&
  /^https?:\/\//i.test(f.url) &&
  (f.protocol === undefined || f.protocol === 'http' || f.protocol === 'https') &&
  f.has_drm !== true;
const hasVideo = (f: YtDlpFormat) => f.vcodec !== 'none';
// Unknown (null/absent) counts as present: the generic extractor knows neither codec of a <video>.
const hasAudio = (f: YtDlpFormat) => f.acodec !== 'none';
const shortSide = (f: YtDlpFormat): number | null => {
  const sides = [f.width, f.height].filter((n): n is number => typeof n === 'number' && n > 0);
  return sides.length ? Math.min(...sides) : null;
};
const known = (f: YtDlpFormat) => (f.vcodec ? 1 : 0) + (f.acodec ? 1 : 0);

/** Best first: the largest frame within MAX_SHORT_SIDE, then known codecs, then MP4, then bit rate. */
function rank(a: YtDlpFormat, b: YtDlpFormat): number {
  return (
    (shortSide(b) ?? 0) - (shortSide(a) ?? 0) ||
    known(b) - known(a) ||
    Number(b.ext === 'mp4') - Number(a.ext === 'mp4') ||
    (b.tbr ?? 0) - (a.tbr ?? 0)
  );
}

/**
 * Picks the one file to download: a progressive format (video and audio in one file, served over
 * plain http(s) — no HLS/DASH manifests, which our fetcher does not assemble), the largest whose
 * shorter side is at most 1080, else the smallest above. Platforms that offer only separate video
 * and audio streams (or only manifests) get a readable refusal: the caller fails the task with it.
 */
export function chooseFormat(info: YtDlpInfo): ChosenFormat | { problem: string } {
  const formats = info.formats?.length ? info.formats : [info];
  const progressive = formats.filter(isDirect).filter((f) => hasVideo(f) && hasAudio(f));
  const fitting = progressive.filter((f) => (shortSide(f) ?? 0) <= MAX_SHORT_SIDE).sort(rank);
  const larger = progressive
    .filter((f) => (shortSide(f) ?? 0) > MAX_SHORT_SIDE)
    .sort((a, b) => (shortSide(a) ?? 0) - (shortSide(b) ?? 0));
  const chosen = fitting[0] ?? larger[0];
  if (!chosen) {
    const separate =
      formats.some((f) => isDirect(f) && f.acodec === 'none') && formats.some((f) => f.vcodec === 'none');
    return {
      problem: separate
        ? 'the platform offers this video only as separate video and audio streams, which are not supported yet'
        : formats.some((f) => f.has_drm === true)
          ? 'the video is DRM-protected'
          : 'the platform offers no single downloadable file for this video (only streaming manifests)',
    };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(chosen.http_headers ?? {}))
    if (FORWARDED_HEADERS.has(name.toLowerCase()) && typeof value === 'string') headers[name] = value;
  const declared = chosen.filesize ?? chosen.filesize_approx;
  return {
    url: chosen.url,
    formatId: chosen.format_id ?? 'unknown',
    headers,
    width: chosen.width ?? null,
    height: chosen.height ?? null,
    declaredBytes: typeof declared === 'number' && declared > 0 ? declared : null,
  };
}
