import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { makeTestVideo, probeSummary } from '@reelforge/testing';
import { fetchSource } from '../../src/pipeline/fetch-source.ts';
import { resolvePlatformUrl, type ResolveOptions } from '../../src/pipeline/resolve-platform-url.ts';
import { childProcesses } from '../speech/support.ts';
import { jsonLdPage, servePlatformSite, videoPage, type PlatformSite } from '../support/platform-site.ts';

// Real yt-dlp (its generic extractor: no site-specific code runs for 127.0.0.1), real ffmpeg media,
// a real HTTP server standing in for the platform. Nothing is mocked.
describe('resolving a video-platform link with yt-dlp', () => {
  let root: string;
  let site: PlatformSite;
  const options = (extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
    ytDlpPath: inject('ytDlpPath'),
    timeoutMs: 30_000,
    allowPrivate: true,
    maxSourceSeconds: 4 * 3600,
    maxBytes: 1024 ** 3,
    cwd: root,
    signal: new AbortController().signal,
    ...extra,
  });
  const failure = (url: string, o: ResolveOptions) =>
    resolvePlatformUrl(url, o).then(
      () => {
        throw new Error('expected a failure');
      },
      (err: unknown) => err as PermanentError | RetryableError,
    );

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rf-platform-'));
    const clip = await makeTestVideo(inject('ffmpegPath'), join(root, 'clip.mp4'), {
      seconds: 3,
      width: 320,
      height: 180,
    });
    site = await servePlatformSite({
      pages: {
        'watch/1': videoPage('A stand-in video', '/media/clip.mp4'),
        about: '<!doctype html><html><head><title>About us</title></head><body><p>No video here.</p></body></html>',
        'watch/long': (base) => jsonLdPage('A five-hour stream', `${base}media/long.mp4`, 'PT5H'),
      },
      media: { 'media/clip.mp4': clip },
      huge: { 'media/long.mp4': 10 * 1024 ** 3 },
      hang: ['watch/hangs'],
    });
  });
  afterAll(async () => {
    await site.close();
    await rm(root, { recursive: true, force: true });
  });

  it('finds the page’s video, and our fetcher downloads it', async () => {
    const media = await resolvePlatformUrl(site.url('watch/1'), options());
    expect(media.streams).toHaveLength(1);
    const stream = media.streams[0]!;
    expect(stream).toMatchObject({ kind: 'av', url: site.url('media/clip.mp4') });
    expect(media.title).toMatch(/A stand-in video/);
    // yt-dlp only read the page: the media file is ours to fetch.
    expect(site.hits('media/clip.mp4')).toBe(0);
    // The platform's player headers go along, its cookies never.
    expect(Object.keys(stream.headers).map((h) => h.toLowerCase())).toContain('user-agent');
    expect(Object.keys(stream.headers).map((h) => h.toLowerCase())).not.toContain('cookie');

    const dest = join(root, 'downloaded.mp4');
    const limits = { maxBytes: 1024 ** 3, timeoutMs: 30_000, maxRedirects: 3, allowPrivate: true };
    const { bytes } = await fetchSource(stream.url, dest, limits, new AbortController().signal, stream.headers);
    expect(bytes).toBeGreaterThan(0);
    const probe = await probeSummary(inject('ffprobePath'), dest);
    expect(probe).toMatchObject({ hasVideo: true, hasAudio: true, width: 320, height: 180 });
  });

  it('with private addresses not allowed, refuses the page’s host before yt-dlp connects', async () => {
    const before = site.hits();
    const err = await failure(site.url('watch/1'), options({ allowPrivate: false }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('SOURCE_URL_FORBIDDEN');
    expect(err.message).toMatch(/private or loopback address \(127\.0\.0\.1\)/);
    expect(site.hits()).toBe(before);
  });

  it('a name that passed the check but resolves to a private address when yt-dlp connects is refused by the proxy', async () => {
    // The check is told `localhost` is public (a DNS answer that changes between two lookups);
    // yt-dlp's own connection then goes through the guarded proxy, which resolves it again.
    const before = site.hits();
    const url = site.url('watch/1').replace('127.0.0.1', 'localhost');
    const err = await failure(url, options({ allowPrivate: false, resolveHost: async () => ['8.8.8.8'] }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('SOURCE_URL_FORBIDDEN');
    expect(err.message).toMatch(/led to a private or loopback address \((127\.0\.0\.1|::1)\)/);
    expect(site.hits()).toBe(before);
  });

  it('a page without a video fails permanently, saying so', async () => {
    const err = await failure(site.url('about'), options());
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('SOURCE_UNAVAILABLE');
    expect(err.message).toMatch(/^no video was found at this address \(yt-dlp: Unsupported URL/);
  });

  it('a video longer than the limit is refused from its declared duration, before any download', async () => {
    const err = await failure(site.url('watch/long'), options({ maxSourceSeconds: 3600 }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toBe('the video is 18000 s long, above the limit of 3600 s');
    // yt-dlp's generic extractor opens a JSON-LD contentUrl to read its headers and drops it (one
    // request); nothing like the file's 10 GB was downloaded.
    expect(site.hits('media/long.mp4')).toBeLessThanOrEqual(1);
    expect(site.sent('media/long.mp4')).toBeLessThan(16 * 1024 ** 2);
  });

  it('a missing yt-dlp fails permanently, naming how to install it', async () => {
    const err = await failure(site.url('watch/1'), options({ ytDlpPath: join(root, 'no-such-yt-dlp') }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('TOOL_MISSING');
    expect(err.message).toMatch(/apt-get install yt-dlp.*YT_DLP_PATH/);
  });

  it('a platform that does not answer is a retryable failure', async () => {
    const closed = await servePlatformSite({ pages: {} });
    const url = closed.url('watch/1');
    await closed.close();
    const err = await failure(url, options());
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe('FETCH_FAILED');
    expect(err.message).toMatch(/could not be reached.*ECONNREFUSED/);
  });

  it('a platform that hangs: yt-dlp is killed at the time limit, retryably', async () => {
    const err = await failure(site.url('watch/hangs'), options({ timeoutMs: 2000 }));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe('TIMED_OUT');
    expect(err.message).toBe('yt-dlp did not resolve the link within 2 s');
    expect(childProcesses('yt-dlp')).toEqual([]);
  });

  it('cancelling kills a running yt-dlp at once', async () => {
    const controller = new AbortController();
    const initial = site.hits('watch/hangs');
    const pending = failure(site.url('watch/hangs'), options({ signal: controller.signal }));
    // Until yt-dlp is up and waiting for the page (its start takes a while on a loaded machine).
    await vi.waitFor(() => expect(site.hits('watch/hangs')).toBe(initial + 1), { timeout: 20_000, interval: 50 });
    const started = performance.now();
    controller.abort();
    const err = await pending;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toBe('yt-dlp was stopped');
    expect(childProcesses('yt-dlp')).toEqual([]);
  });
});
