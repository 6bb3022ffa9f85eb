/** One entry of a format's `fragments` (yt-dlp gives either a full `url` or a `path` under `fragment_base_url`). */
export interface YtDlpFragment {
  url?: string;
  path?: string;
  duration?: number | null;
}

/** The fields of a yt-dlp format we read (the JSON has many more). */
export interface YtDlpFormat {
  format_id?: string;
  url?: string;
  /** http, https, m3u8_native, http_dash_segments, … */
  protocol?: string;
  /** The DASH or HLS manifest the format was listed in (then `url` may be the manifest, not media). */
  manifest_url?: string;
  /** With `fragments` of relative `path`s: what those paths are relative to. */
  fragment_base_url?: string;
  /** A segmented format's pieces; yt-dlp writes a non-list value as a string when it cannot serialize it. */
  fragments?: YtDlpFragment[] | string | null;
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

/** One file to download: both halves of the picture and sound ('av'), or one of them. */
export interface ChosenStream {
  url: string;
  formatId: string;
  /** Headers the platform expects on the media request, cookies and credentials left out. */
  headers: Record<string, string>;
  kind: 'av' | 'video' | 'audio';
  /** The platform's own size, when it gives one. */
  declaredBytes: number | null;
}

export interface ChosenFormat {
  /** `22`, or `137+140` for separate video and audio (as yt-dlp writes it). */
  formatId: string;
  /** One 'av' stream, or a 'video' and an 'audio' stream to download and join (audio first). */
  streams: ChosenStream[];
  width: number | null;
  height: number | null;
}
