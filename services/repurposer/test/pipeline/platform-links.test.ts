import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { chooseFormat } from '../../src/pipeline/choose-format.ts';
import type { YtDlpFormat } from '../../src/pipeline/yt-dlp-info.ts';
import { startGuardedProxy } from '../../src/pipeline/guarded-proxy.ts';
import {
  DEFAULT_VIDEO_PLATFORM_HOSTS,
  isPlatformUrl,
  parsePlatformHosts,
  platformHostsSetting,
} from '../../src/pipeline/platform-hosts.ts';
import { classifyYtDlpFailure, ytDlpArgs } from '../../src/pipeline/run-yt-dlp.ts';
import { servePlatformSite } from '../support/platform-site.ts';

describe('the platform allow-list', () => {
  const hosts = new Set(DEFAULT_VIDEO_PLATFORM_HOSTS);

  it('matches exact hosts only, case and a trailing dot aside', () => {
    expect(isPlatformUrl('https://www.youtube.com/watch?v=dQw4w9WgXcQ', hosts)).toBe(true);
    expect(isPlatformUrl('https://youtu.be/dQw4w9WgXcQ', hosts)).toBe(true);
    expect(isPlatformUrl('https://WWW.YouTube.com./watch?v=x', hosts)).toBe(true);
    expect(isPlatformUrl('https://vimeo.com/76979871', hosts)).toBe(true);
    // Not platforms: a look-alike, a subdomain nobody listed, a media file elsewhere.
    expect(isPlatformUrl('https://youtube.com.evil.example/watch', hosts)).toBe(false);
    expect(isPlatformUrl('https://uploads.youtube.com/x', hosts)).toBe(false);
    expect(isPlatformUrl('https://cdn.example.com/video.mp4', hosts)).toBe(false);
    expect(isPlatformUrl('ftp://youtube.com/x', hosts)).toBe(false);
    expect(isPlatformUrl('not a url', hosts)).toBe(false);
  });

  it('VIDEO_PLATFORM_HOSTS: unset is the default list, `none` turns it off, a URL is refused', () => {
    expect(platformHostsSetting.read('VIDEO_PLATFORM_HOSTS', undefined)).toEqual({
      ok: true,
      value: DEFAULT_VIDEO_PLATFORM_HOSTS,
    });
    expect(parsePlatformHosts('none')).toEqual([]);
    expect(parsePlatformHosts(' YouTube.com , 127.0.0.1,localhost ')).toEqual([
      'youtube.com',
      '127.0.0.1',
      'localhost',
    ]);
    expect(platformHostsSetting.read('VIDEO_PLATFORM_HOSTS', 'https://youtube.com/')).toEqual({
      ok: false,
      problem:
        'VIDEO_PLATFORM_HOSTS: "https://youtube.com/" is not a host name (give hosts only, like www.youtube.com)',
    });
  });
});

describe('choosing the file to download from yt-dlp’s formats', () => {
  const f = (over: YtDlpFormat): YtDlpFormat => ({
    url: `https://cdn.example.com/${over.format_id ?? 'x'}`,
    protocol: 'https',
    ext: 'mp4',
    vcodec: 'avc1.64001F',
    acodec: 'mp4a.40.2',
    ...over,
  });

  it('the largest progressive file within 1080 on the short side; streams, manifests and bigger ones aside', () => {
    const chosen = chooseFormat({
      formats: [
        f({ format_id: '18', width: 640, height: 360, tbr: 500 }),
        f({ format_id: '22', width: 1280, height: 720, tbr: 2000 }),
        f({ format_id: '37', width: 3840, height: 2160, tbr: 20000 }),
        f({ format_id: '137', width: 1920, height: 1080, acodec: 'none' }), // video only
        f({ format_id: '140', vcodec: 'none' }), // audio only
        f({ format_id: 'hls-1080', width: 1920, height: 1080, protocol: 'm3u8_native' }),
        f({ format_id: 'dash', width: 1920, height: 1080, protocol: 'http_dash_segments' }),
        f({ format_id: 'drm', width: 1920, height: 1080, has_drm: true }),
      ],
    });
    expect(chosen).toMatchObject({ formatId: '22', width: 1280, height: 720 });
  });

  it('a vertical 1080×1920 video counts as 1080p (the short side)', () => {
    const chosen = chooseFormat({
      formats: [
        f({ format_id: 'v-540', width: 540, height: 960 }),
        f({ format_id: 'v-1080', width: 1080, height: 1920 }),
      ],
    });
    expect(chosen).toMatchObject({ formatId: 'v-1080' });
  });

  it('only larger progressive files: the smallest of them', () => {
    const chosen = chooseFormat({
      formats: [f({ format_id: '4k', width: 3840, height: 2160 }), f({ format_id: '1440', width: 2560, height: 1440 })],
    });
    expect(chosen).toMatchObject({ formatId: '1440' });
  });

  it('a top-level URL without a formats list (some extractors) is the one file', () => {
    expect(chooseFormat({ url: 'https://cdn.example.com/v.mp4', ext: 'mp4', format_id: '0' })).toMatchObject({
      formatId: '0',
      streams: [{ url: 'https://cdn.example.com/v.mp4', formatId: '0', kind: 'av' }],
    });
  });

  it('forwards the player’s headers but never cookies or credentials; passes on a declared size', () => {
    const chosen = chooseFormat({
      formats: [
        f({
          format_id: '18',
          filesize: 12345,
          http_headers: {
            'User-Agent': 'UA',
            Referer: 'https://www.youtube.com/',
            Cookie: 'SID=1',
            Authorization: 'x',
          },
        }),
      ],
    });
    expect(chosen).toMatchObject({
      streams: [{ headers: { 'User-Agent': 'UA', Referer: 'https://www.youtube.com/' }, declaredBytes: 12345 }],
    });
  });

  it('progressive 360p beside video-only 1080p and audio: the separate streams, audio first', () => {
    const chosen = chooseFormat({
      formats: [
        f({ format_id: '18', width: 640, height: 360, tbr: 500, filesize: 1000 }),
        f({ format_id: '251', ext: 'webm', vcodec: 'none', acodec: 'opus', tbr: 160 }),
        f({ format_id: '140', ext: 'm4a', vcodec: 'none', acodec: 'mp4a.40.2', tbr: 128, filesize: 300 }),
        f({ format_id: '248', ext: 'webm', vcodec: 'vp9', acodec: 'none', width: 1920, height: 1080, tbr: 2600 }),
        f({ format_id: '137', vcodec: 'avc1.640028', acodec: 'none', width: 1920, height: 1080, tbr: 4400 }),
        f({ format_id: '136', vcodec: 'avc1.4d401f', acodec: 'none', width: 1280, height: 720, tbr: 2000 }),
        f({ format_id: '313', ext: 'webm', vcodec: 'vp9', acodec: 'none', width: 3840, height: 2160 }),
      ],
    });
    expect(chosen).toEqual({
      formatId: '137+140',
      width: 1920,
      height: 1080,
      streams: [
        expect.objectContaining({
          kind: 'audio',
          formatId: '140',
          url: 'https://cdn.example.com/140',
          declaredBytes: 300,
        }),
        expect.objectContaining({
          kind: 'video',
          formatId: '137',
          url: 'https://cdn.example.com/137',
          declaredBytes: null,
        }),
      ],
    });
  });

  it('a progressive 720p file is kept: one download, no join', () => {
    const chosen = chooseFormat({
      formats: [
        f({ format_id: '22', width: 1280, height: 720 }),
        f({ format_id: '137', acodec: 'none', width: 1920, height: 1080 }),
        f({ format_id: '140', vcodec: 'none' }),
      ],
    });
    expect(chosen).toMatchObject({ formatId: '22', streams: [{ kind: 'av', formatId: '22' }] });
  });

  it('only HLS (or multi-segment DASH): refused with the reason', () => {
    const problem =
      'the platform offers this video only as streaming manifests (HLS or multi-segment DASH), which are not supported';
    expect(
      chooseFormat({
        formats: [
          f({ format_id: 'hls-720', protocol: 'm3u8_native', url: 'https://cdn.example.com/720.m3u8' }),
          f({ format_id: 'hls-audio', protocol: 'm3u8_native', vcodec: 'none' }),
        ],
      }),
    ).toEqual({ problem });
    expect(
      chooseFormat({
        formats: [
          f({
            format_id: 'dash-v',
            acodec: 'none',
            width: 1920,
            height: 1080,
            protocol: 'http_dash_segments',
            url: 'https://cdn.example.com/manifest.mpd',
            manifest_url: 'https://cdn.example.com/manifest.mpd',
            fragment_base_url: 'https://cdn.example.com/v/',
            fragments: [{ path: 'seg-1.m4s' }, { path: 'seg-2.m4s' }],
          }),
          f({ format_id: 'a', vcodec: 'none' }),
        ],
      }),
    ).toEqual({ problem: 'the platform offers no downloadable file with both picture and sound for this video' });
  });

  it('DASH whose fragments are byte ranges of one file is that whole file (yt-dlp 2023.03.04’s YouTube and SegmentList)', () => {
    const yt = 'https://rr1.googlevideo.example/videoplayback?expire=1&itag=137&mime=video%2Fmp4';
    const chosen = chooseFormat({
      formats: [
        f({ format_id: '18', width: 640, height: 360 }),
        // YouTube, as yt-dlp 2023.03.04 lists a split stream with a known size: `url` plus 10 MiB `range=` fragments.
        f({
          format_id: '137',
          acodec: 'none',
          width: 1920,
          height: 1080,
          url: yt,
          protocol: 'http_dash_segments',
          filesize: 25_000_000,
          fragments: [
            { url: `${yt}&range=0-10485759` },
            { url: `${yt}&range=10485760-20971519` },
            { url: `${yt}&range=20971520-25000000` },
          ],
        }),
        // A DASH SegmentList of ranges of one file: yt-dlp drops the ranges, every path is the same file.
        f({
          format_id: 'a',
          vcodec: 'none',
          protocol: 'http_dash_segments',
          url: 'https://cdn.example.com/m.mpd',
          manifest_url: 'https://cdn.example.com/m.mpd',
          fragment_base_url: 'https://cdn.example.com/a.m4a',
          fragments: [{ path: 'a.m4a' }, { path: 'a.m4a', duration: 1 }],
        }),
      ],
    });
    expect(chosen).toMatchObject({
      formatId: '137+a',
      streams: [
        { kind: 'audio', url: 'https://cdn.example.com/a.m4a' },
        { kind: 'video', url: yt, declaredBytes: 25_000_000 },
      ],
    });
    // The fragments of another file, or a fragment list yt-dlp could not write out: not one whole file.
    const other = f({
      format_id: 'x',
      protocol: 'http_dash_segments',
      url: yt,
      fragments: [{ url: `${yt}&range=0-9` }, { url: 'https://cdn.example.com/other?range=10-19' }],
    });
    expect(chooseFormat({ formats: [other] })).toHaveProperty('problem');
    expect(chooseFormat({ formats: [{ ...other, fragments: '<function>' }] })).toHaveProperty('problem');
  });

  it('DRM: refused with the reason', () => {
    expect(chooseFormat({ formats: [f({ format_id: 'drm', has_drm: true })] })).toEqual({
      problem: 'the video is DRM-protected',
    });
  });
});

describe('yt-dlp’s failures, classified', () => {
  const cases: [string, 'permanent' | 'retryable', string, RegExp][] = [
    [
      'ERROR: Unsupported URL: https://example.com/about',
      'permanent',
      'SOURCE_UNAVAILABLE',
      /^no video was found at this address/,
    ],
    [
      "ERROR: [youtube] abc123: Private video. Sign in if you've been granted access to this video",
      'permanent',
      'SOURCE_UNAVAILABLE',
      /^the video is private \(yt-dlp: Private video/,
    ],
    [
      'ERROR: [youtube] abc123: Video unavailable. This video has been removed by the uploader',
      'permanent',
      'SOURCE_UNAVAILABLE',
      /^the video is unavailable \(yt-dlp: Video unavailable/,
    ],
    [
      'ERROR: [youtube] abc123: Sign in to confirm your age. This video may be inappropriate for some users.',
      'permanent',
      'SOURCE_UNAVAILABLE',
      /^the platform shows this video only to signed-in viewers/,
    ],
    [
      'ERROR: [vimeo] 1: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError 404>)',
      'permanent',
      'SOURCE_UNAVAILABLE',
      /^the video is unavailable/,
    ],
    [
      'ERROR: [youtube] abc: Unable to download API page: HTTP Error 503: Service Unavailable',
      'retryable',
      'FETCH_FAILED',
      /^the video platform could not be reached \(yt-dlp: Unable to download API page: HTTP Error 503/,
    ],
    [
      'ERROR: [generic] x: Unable to download webpage: <urlopen error timed out> (caused by URLError(timeout))',
      'retryable',
      'FETCH_FAILED',
      /^the video platform could not be reached/,
    ],
    [
      'ERROR: [tiktok] 1: Unable to extract universal data for rehydration; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues',
      'retryable',
      'FETCH_FAILED',
      /^yt-dlp could not resolve the link: Unable to extract universal data for rehydration$/,
    ],
  ];
  for (const [stderr, kind, code, message] of cases) {
    it(`${kind}: ${stderr.slice(0, 70)}`, () => {
      const err = classifyYtDlpFailure(`[generic] Extracting URL\n${stderr}\n`);
      expect(err).toBeInstanceOf(kind === 'permanent' ? PermanentError : RetryableError);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    });
  }

  it('runs without config files or cache, through the proxy, the URL never read as an option', () => {
    const args = ytDlpArgs('https://youtu.be/x', 'http://127.0.0.1:1');
    expect(args).toEqual(
      expect.arrayContaining(['--ignore-config', '--no-cache-dir', '--dump-single-json', '--no-playlist']),
    );
    expect(args.slice(-2)).toEqual(['--', 'https://youtu.be/x']);
    expect(args[args.indexOf('--proxy') + 1]).toBe('http://127.0.0.1:1');
  });
});

describe('the guarded proxy yt-dlp goes through', () => {
  const viaProxy = (proxy: string, target: string) =>
    new Promise<number>((resolve, reject) => {
      const p = new URL(proxy);
      request({ host: p.hostname, port: p.port, path: target, headers: { host: new URL(target).host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
  const tunnel = (proxy: string, target: string) =>
    new Promise<string>((resolve, reject) => {
      const p = new URL(proxy);
      const socket = connect(Number(p.port), p.hostname, () =>
        socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`),
      );
      socket.once('data', (d: Buffer) => {
        resolve(d.toString('latin1').split('\r\n')[0]!);
        socket.destroy();
      });
      socket.on('error', reject);
    });

  it('refuses private targets by IP literal and by name, for plain requests and tunnels, and says which', async () => {
    const site = await servePlatformSite({ pages: { page: '<p>hi</p>' } });
    const proxy = await startGuardedProxy(false);
    try {
      const port = new URL(site.url('page')).port;
      expect(await viaProxy(proxy.url, site.url('page'))).toBe(403);
      expect(await tunnel(proxy.url, `127.0.0.1:${port}`)).toBe('HTTP/1.1 403 Forbidden');
      expect(await tunnel(proxy.url, `localhost:${port}`)).toBe('HTTP/1.1 403 Forbidden');
      expect(await tunnel(proxy.url, `169.254.169.254:80`)).toBe('HTTP/1.1 403 Forbidden');
      expect(proxy.refused()).toEqual([
        '127.0.0.1',
        '127.0.0.1',
        expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
        '169.254.169.254',
      ]);
      expect(site.hits()).toBe(0);
    } finally {
      await proxy.close();
      await site.close();
    }
  });

  it('with private targets allowed (local development), passes requests and tunnels through', async () => {
    const site = await servePlatformSite({ pages: { page: '<p>hi</p>' } });
    const proxy = await startGuardedProxy(true);
    try {
      expect(await viaProxy(proxy.url, site.url('page'))).toBe(200);
      expect(await tunnel(proxy.url, `127.0.0.1:${new URL(site.url('page')).port}`)).toBe(
        'HTTP/1.1 200 Connection Established',
      );
      expect(proxy.refused()).toEqual([]);
    } finally {
      await proxy.close();
      await site.close();
    }
  });
});
