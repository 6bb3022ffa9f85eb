import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RenderOptions } from '@reelforge/contracts';
import { PermanentError } from '@reelforge/messaging';
import { makeTestVideo } from '@reelforge/testing';
import { PLATFORM_RESOLVE_TIMEOUT_MS } from '../../src/pipeline/render-task.ts';
import { createHarness, streamFacts, type Harness } from '../support/pipeline-harness.ts';
import { servePlatformSite, videoPage, type PlatformSite } from '../support/platform-site.ts';

// The whole task on a platform link: yt-dlp (real, generic extractor) resolves a stand-in page on
// 127.0.0.1, our fetcher downloads the file, ffmpeg renders. One small clip keeps it cheap.
const options: RenderOptions = {
  width: 360,
  preset: 'ultrafast',
  fadeSeconds: 0,
  segments: [{ parts: [{ start: 0.5, end: 2.5 }] }],
};

describe('a render task whose source is a video-platform link', () => {
  let h: Harness;
  let site: PlatformSite;

  beforeAll(async () => {
    h = await createHarness();
    const clip = await makeTestVideo(h.ffmpeg, join(h.root, 'clip.mp4'), { seconds: 3, width: 640, height: 360 });
    site = await servePlatformSite({
      pages: {
        'watch/1': videoPage('A stand-in video', '/media/clip.mp4'),
        about: '<!doctype html><html><head><title>About</title></head><body><p>Nothing to watch.</p></body></html>',
      },
      media: { 'media/clip.mp4': clip },
    });
  });
  afterAll(async () => {
    await site.close();
    await h.close();
  });

  const allowListing = (hosts: string[]) => {
    h.deps.platforms = {
      hosts: new Set(hosts),
      ytDlpPath: inject('ytDlpPath'),
      resolveTimeoutMs: PLATFORM_RESOLVE_TIMEOUT_MS,
    };
  };

  it('an allow-listed page is resolved by yt-dlp, downloaded by us and rendered', async () => {
    allowListing(['127.0.0.1']);
    const { clips, progress } = await h.render(site.url('watch/1'), options);
    expect(clips).toHaveLength(1);
    const facts = await streamFacts(h.ffprobe, h.store.pathOf(clips[0]!.mediaKey));
    expect(facts).toMatchObject({ width: 360, height: 640, videoCodec: 'h264', audioCodec: 'aac' });
    expect(facts.durationSeconds).toBeCloseTo(2, 1);
    const messages = progress.filter((p) => p.stage === 'downloading').map((p) => p.message);
    expect(messages).toEqual([
      'downloading the source',
      'resolving the video link',
      'downloading "A stand-in video (1)" (format 0)',
    ]);
    expect(site.hits('media/clip.mp4')).toBe(1); // once, by our fetcher
    expect(await h.leftovers()).toEqual([]);
  });

  it('a page with no video fails the task permanently with the reason, leaving nothing behind', async () => {
    allowListing(['127.0.0.1']);
    const err = await h.render(site.url('about'), options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('SOURCE_UNAVAILABLE');
    expect((err as Error).message).toMatch(/^no video was found at this address \(yt-dlp: Unsupported URL/);
    expect(await h.leftovers()).toEqual([]);
  });

  it('a page whose host is not on the allow-list is fetched as a media file, as before (and is not one)', async () => {
    allowListing(['www.youtube.com']);
    const err = await h.render(site.url('watch/1'), options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('INVALID_INPUT');
    expect((err as Error).message).toMatch(/not a readable video/);
  });
});
