import { execFile } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface PlatformSite {
  /** `http://127.0.0.1:<port>/<path>` */
  url(path: string): string;
  /** Requests seen for a path (all paths when none is given). */
  hits(path?: string): number;
  /** Body bytes written for a `huge` path, over all its requests. */
  sent(path: string): number;
  close(): Promise<void>;
}

/**
 * A stand-in video platform on 127.0.0.1: HTML pages given as text, media given as files (served
 * with their length, as a CDN does). Counting requests is what shows a refusal came before any
 * connection: yt-dlp's or our fetcher's.
 */
export async function servePlatformSite(o: {
  /** Path → HTML, or a function of the site's base URL (`http://127.0.0.1:<port>/`) for absolute links. */
  pages: Record<string, string | ((base: string) => string)>;
  media?: Record<string, string>;
  /** Path → declared size: zeros streamed only as fast as the client reads (a huge file nobody should download). */
  huge?: Record<string, number>;
  /** Paths that are never answered (a platform that hangs). */
  hang?: string[];
  /** Media paths answered with their length and a first 64 KiB, then nothing more (a stalled download). */
  stall?: string[];
}): Promise<PlatformSite> {
  const hits = new Map<string, number>();
  const sent = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (o.hang?.includes(path)) return;
    const page = Object.hasOwn(o.pages, path) ? o.pages[path] : undefined;
    if (page !== undefined) {
      const html = typeof page === 'string' ? page : page(`http://127.0.0.1:${port}/`);
      const type = path.endsWith('.mpd') ? 'application/dash+xml' : 'text/html; charset=utf-8';
      res.writeHead(200, { 'content-type': type }).end(html);
      return;
    }
    const size = o.huge && Object.hasOwn(o.huge, path) ? o.huge[path] : undefined;
    if (size !== undefined) {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
      const chunk = Buffer.alloc(64 * 1024);
      let left = size;
      const more = () => {
        while (left > 0 && !res.destroyed) {
          const n = Math.min(chunk.length, left);
          left -= n;
          sent.set(path, (sent.get(path) ?? 0) + n);
          if (!res.write(chunk.subarray(0, n))) return void res.once('drain', more);
        }
        res.end();
      };
      if (req.method === 'HEAD') res.end();
      else more();
      return;
    }
    const file = o.media && Object.hasOwn(o.media, path) ? o.media[path] : undefined;
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else if (o.stall?.includes(path)) createReadStream(file, { end: 64 * 1024 - 1 }).pipe(res, { end: false });
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}/${path}`,
    sent: (path) => sent.get(path) ?? 0,
    hits: (path) => (path === undefined ? [...hits.values()].reduce((a, b) => a + b, 0) : (hits.get(path) ?? 0)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A page with an HTML5 `<video>`: what yt-dlp's generic extractor reads (no site-specific extractor). */
export const videoPage = (title: string, src: string) =>
  `<!doctype html><html><head><title>${title}</title><meta property="og:title" content="${title}"></head>` +
  `<body><h1>${title}</h1><video src="${src}" controls></video></body></html>`;

/** A page describing its video with schema.org JSON-LD, which is how the generic extractor learns a duration. */
export const jsonLdPage = (title: string, contentUrl: string, isoDuration: string) =>
  `<!doctype html><html><head><title>${title}</title><script type="application/ld+json">` +
  JSON.stringify({
    '@context': 'https://schema.org',
    '@type': 'VideoObject',
    name: title,
    description: title,
    contentUrl,
    duration: isoDuration,
    uploadDate: '2024-01-01',
    thumbnailUrl: 'https://example.com/thumbnail.jpg',
  }) +
  `</script></head><body><h1>${title}</h1></body></html>`;

/** A page whose `<video>` plays a DASH manifest: the generic extractor lists the manifest's representations as formats. */
export const dashPage = (title: string, manifestSrc: string) =>
  `<!doctype html><html><head><title>${title}</title></head>` +
  `<body><h1>${title}</h1><video src="${manifestSrc}" controls></video></body></html>`;

/**
 * An on-demand DASH manifest with one video-only and one audio-only representation, each ONE file.
 * The audio is a plain BaseURL: yt-dlp 2023.03.04 lists it with protocol `http`, `url` the file,
 * `manifest_url` the manifest. With `videoBytes`, the video is a SegmentList of byte ranges of its
 * one file: yt-dlp lists it as `http_dash_segments`, `url` the manifest, `fragment_base_url` the
 * file and `fragments` of that same `path` (it drops the ranges). `vcodec`/`acodec` 'none' on the
 * missing side.
 */
export const dashManifest = (o: {
  seconds: number;
  video: { url: string; width: number; height: number; videoBytes?: number };
  audio: { url: string };
}) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT${o.seconds}S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
 <Period>
  <AdaptationSet mimeType="video/mp4" contentType="video">
   <Representation id="v${o.video.height}" codecs="avc1.64001f" width="${o.video.width}" height="${o.video.height}" bandwidth="2000000">
    <BaseURL>${o.video.url}</BaseURL>${o.video.videoBytes === undefined ? '' : byteRanges(o.video.url, o.video.videoBytes)}
   </Representation>
  </AdaptationSet>
  <AdaptationSet mimeType="audio/mp4" contentType="audio" lang="en">
   <Representation id="a64" codecs="mp4a.40.2" audioSamplingRate="48000" bandwidth="64000">
    <BaseURL>${o.audio.url}</BaseURL>
   </Representation>
  </AdaptationSet>
 </Period>
</MPD>
`;

/** A SegmentList of an init range and two media ranges of one file (the ranges need not match boxes: we fetch it whole). */
const byteRanges = (url: string, bytes: number) => {
  const half = Math.floor(bytes / 2);
  return (
    `\n    <SegmentList duration="1"><Initialization sourceURL="${url}" range="0-999"/>` +
    `<SegmentURL media="${url}" mediaRange="1000-${half - 1}"/><SegmentURL media="${url}" mediaRange="${half}-${bytes - 1}"/></SegmentList>`
  );
};

/** A video-only H.264 MP4 (testsrc2) and an audio-only AAC M4A (a sine), as a platform's split streams. */
export async function makeSplitStreams(
  ffmpeg: string,
  dir: string,
  o: { seconds: number; width: number; height: number },
): Promise<{ video: string; audio: string }> {
  const run = (args: string[]) => promisify(execFile)(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const video = join(dir, 'video-only.mp4');
  const audio = join(dir, 'audio-only.m4a');
  await run([
    ...['-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=25:duration=${o.seconds}`],
    ...['-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p'],
    ...['-movflags', '+faststart', video],
  ]);
  await run([
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${o.seconds}`],
    ...['-vn', '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', audio],
  ]);
  return { video, audio };
}
