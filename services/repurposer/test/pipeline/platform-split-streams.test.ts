import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { RenderOptions } from '@reelforge/contracts';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { probeSummary } from '@reelforge/testing';
import { fetchPlatformMedia } from '../../src/pipeline/fetch-platform-media.ts';
import { PLATFORM_RESOLVE_TIMEOUT_MS } from '../../src/pipeline/render-task.ts';
import { checkDeclaredSize, resolvePlatformUrl } from '../../src/pipeline/resolve-platform-url.ts';
import { childProcesses } from '../speech/support.ts';
import { createHarness, streamFacts, type Harness } from '../support/pipeline-harness.ts';
import {
  dashManifest,
  dashPage,
  makeSplitStreams,
  servePlatformSite,
  type PlatformSite,
} from '../support/platform-site.ts';

// A platform that offers its video only as separate video and audio (as YouTube does above 360p):
// a DASH manifest on a stand-in page, read by real yt-dlp (generic extractor), both streams
// downloaded by our fetcher from a real HTTP server and joined by real ffmpeg. Nothing is mocked.
const options: RenderOptions = {
  width: 360,
  preset: 'ultrafast',
  fadeSeconds: 0,
  segments: [{ parts: [{ start: 0.5, end: 2.5 }] }],
};

describe('a platform link offered only as separate video and audio streams', () => {
  let h: Harness;
  let site: PlatformSite;
  let streams: { video: string; audio: string };

  beforeAll(async () => {
    h = await createHarness();
    streams = await makeSplitStreams(h.ffmpeg, h.root, { seconds: 3, width: 1280, height: 720 });
    const manifest =
      (videoPath: string, audioHost = '127.0.0.1') =>
      (base: string) =>
        dashManifest({
          seconds: 3,
          video: { url: `${base}${videoPath}`, width: 1280, height: 720 },
          audio: { url: `${base.replace('127.0.0.1', audioHost)}media/a.m4a` },
        });
    site = await servePlatformSite({
      pages: {
        'watch/split': dashPage('Split streams', '/split.mpd'),
        'split.mpd': manifest('media/v.mp4'),
        'watch/stalls': dashPage('A stalling stream', '/stalls.mpd'),
        'stalls.mpd': manifest('media/v-stalls.mp4'),
        'watch/private-audio': dashPage('Audio elsewhere', '/private-audio.mpd'),
        'private-audio.mpd': manifest('media/v.mp4', '169.254.169.254'),
      },
      media: { 'media/v.mp4': streams.video, 'media/v-stalls.mp4': streams.video, 'media/a.m4a': streams.audio },
      stall: ['media/v-stalls.mp4'],
    });
    h.deps.platforms = {
      hosts: new Set(['127.0.0.1']),
      ytDlpPath: inject('ytDlpPath'),
      resolveTimeoutMs: PLATFORM_RESOLVE_TIMEOUT_MS,
    };
  });
  afterAll(async () => {
    await site.close();
    await h.close();
  });

  const resolve = (path: string) =>
    resolvePlatformUrl(site.url(path), {
      ytDlpPath: inject('ytDlpPath'),
      timeoutMs: 30_000,
      allowPrivate: true,
      maxSourceSeconds: 3600,
      maxBytes: 1024 ** 3,
      cwd: h.root,
      signal: new AbortController().signal,
    });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a failure');
      },
      (err: unknown) => err as PermanentError | RetryableError,
    );

  it('yt-dlp lists the two representations (one of them as segments of one file); both chosen as whole files, audio first', async () => {
    const media = await resolve('watch/split');
    expect(media).toMatchObject({
      formatId: 'v720+a64',
      width: 1280,
      height: 720,
      streams: [
        { kind: 'audio', formatId: 'a64', url: site.url('media/a.m4a') },
        { kind: 'video', formatId: 'v720', url: site.url('media/v.mp4') },
      ],
    });
  });

  it('joined into one file: the 720p picture and the sound, no part left beside it', async () => {
    const media = await resolve('watch/split');
    const dest = join(h.root, 'joined');
    const limits = { maxBytes: 1024 ** 3, timeoutMs: 30_000, maxRedirects: 3, allowPrivate: true };
    const { bytes } = await fetchPlatformMedia(media, dest, {
      ffmpegPath: h.ffmpeg,
      work: h.root,
      limits,
      signal: new AbortController().signal,
    });
    expect(bytes).toBe((await stat(streams.video)).size + (await stat(streams.audio)).size);
    expect(await probeSummary(h.ffprobe, dest)).toMatchObject({
      hasVideo: true,
      hasAudio: true,
      width: 1280,
      height: 720,
    });
    const facts = await streamFacts(h.ffprobe, dest);
    expect(facts).toMatchObject({ videoCodec: 'h264', audioCodec: 'aac' });
    expect(facts.durationSeconds).toBeCloseTo(3, 0);
    await expect(stat(join(h.root, 'source.video'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(h.root, 'source.audio'))).rejects.toThrow(/ENOENT/);
  });

  it('the whole task renders from the two streams', async () => {
    const before = { video: site.hits('media/v.mp4'), audio: site.hits('media/a.m4a') };
    const { clips, progress } = await h.render(site.url('watch/split'), options);
    expect(clips).toHaveLength(1);
    const facts = await streamFacts(h.ffprobe, h.store.pathOf(clips[0]!.mediaKey));
    expect(facts).toMatchObject({ width: 360, height: 640, videoCodec: 'h264', audioCodec: 'aac' });
    expect(facts.durationSeconds).toBeCloseTo(2, 1);
    const both = (await stat(streams.video)).size + (await stat(streams.audio)).size;
    // The generic extractor numbers the page's one video: "(1)".
    expect(progress.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'downloading "Split streams (1)" (format v720+a64)',
        `downloaded ${both} bytes; probing`,
      ]),
    );
    expect(site.hits('media/v.mp4')).toBe(before.video + 1);
    expect(site.hits('media/a.m4a')).toBe(before.audio + 1);
    expect(await h.leftovers()).toEqual([]);
  });

  it('both streams together above the size limit: SOURCE_TOO_LARGE, nothing left behind', async () => {
    const audio = (await stat(streams.audio)).size;
    const video = (await stat(streams.video)).size;
    const saved = h.deps.fetchLimits;
    // Each stream alone fits; together they do not.
    h.deps.fetchLimits = { ...saved, maxBytes: audio + video - 1 };
    try {
      const err = await failure(h.render(site.url('watch/split'), options));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.code).toBe('SOURCE_TOO_LARGE');
      expect(err.message).toBe(`the video's separate streams together exceed the limit of ${audio + video - 1} bytes`);
    } finally {
      h.deps.fetchLimits = saved;
    }
    expect(await h.leftovers()).toEqual([]);
  });

  it('a stream that stalls after the other arrived: one time budget for both, retryable TIMED_OUT', async () => {
    const media = await resolve('watch/stalls');
    const limits = { maxBytes: 1024 ** 3, timeoutMs: 1500, maxRedirects: 3, allowPrivate: true };
    const started = performance.now();
    const err = await failure(
      fetchPlatformMedia(media, join(h.root, 'stalled'), {
        ffmpegPath: h.ffmpeg,
        work: h.root,
        limits,
        signal: new AbortController().signal,
      }),
    );
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe('TIMED_OUT');
    expect(err.message).toBe("the video's separate streams together took longer than 1500 ms to download");
    for (const left of ['stalled', 'source.audio', 'source.video'])
      await expect(stat(join(h.root, left))).rejects.toThrow(/ENOENT/);
  });

  it('cancelled while a stream stalls: ends at once, kills nothing else, leaves nothing behind', async () => {
    // A bystander child process of this test: cancelling the task must not touch it.
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const controller = new AbortController();
      const pending = failure(h.render(site.url('watch/stalls'), options, { signal: controller.signal }));
      await vi.waitFor(() => expect(site.hits('media/v-stalls.mp4')).toBe(1), { timeout: 30_000, interval: 50 });
      const started = performance.now();
      controller.abort();
      const err = await pending;
      expect(performance.now() - started).toBeLessThan(1000);
      expect(err).not.toBeInstanceOf(PermanentError);
      expect(childProcesses('sleep')).toEqual([bystander.pid]);
      expect(childProcesses('ffmpeg')).toEqual([]);
      expect(childProcesses('yt-dlp')).toEqual([]);
      expect(await h.leftovers()).toEqual([]);
    } finally {
      bystander.kill();
    }
  });

  it('declared sizes count together: each under the limit, their sum above it, refused before any download', () => {
    const part = (kind: 'audio' | 'video', declaredBytes: number | null) => ({
      url: `https://cdn.example.com/${kind}`,
      formatId: kind,
      headers: {},
      kind,
      declaredBytes,
    });
    const chosen = (a: number | null, v: number | null) => ({
      formatId: 'video+audio',
      width: 1920,
      height: 1080,
      streams: [part('audio', a), part('video', v)],
    });
    expect(() => checkDeclaredSize(chosen(400, 700), 1000)).toThrow(
      new PermanentError(
        'SOURCE_TOO_LARGE',
        'the video is about 1100 bytes (video and audio together); the limit is 1000',
      ),
    );
    expect(() => checkDeclaredSize(chosen(400, 600), 1000)).not.toThrow();
    expect(() => checkDeclaredSize(chosen(null, 900), 1000)).not.toThrow(); // unknown: the download's own limit applies
  });

  it('an audio stream on a private host is refused by the address rule before any byte of either stream', async () => {
    const media = await resolve('watch/private-audio');
    expect(media.streams.map((s) => new URL(s.url).hostname)).toEqual(['169.254.169.254', '127.0.0.1']);
    const before = site.hits();
    const limits = { maxBytes: 1024 ** 3, timeoutMs: 30_000, maxRedirects: 3, allowPrivate: false };
    const err = await failure(
      fetchPlatformMedia(media, join(h.root, 'refused'), {
        ffmpegPath: h.ffmpeg,
        work: h.root,
        limits,
        signal: new AbortController().signal,
      }),
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('SOURCE_URL_FORBIDDEN');
    expect(err.message).toBe('refusing to fetch from 169.254.169.254 (private or loopback address)');
    expect(site.hits()).toBe(before);
  });
});
