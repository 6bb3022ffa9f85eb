import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
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
