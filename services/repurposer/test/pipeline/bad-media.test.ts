import { readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '@reelforge/messaging';
import { processesWorkingIn } from '@reelforge/testing';
import { createHarness, ffmpegRun, type Harness } from '../support/pipeline-harness.ts';

describe('bad media fails fast, permanently, with a specific reason, and leaves nothing behind', () => {
  let h: Harness;
  const make = async (name: string, args: string[]) => {
    const file = join(h.root, name);
    await ffmpegRun(h.ffmpeg, [...args, file]);
    return file;
  };

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  const cases: { name: string; build: () => Promise<string>; reason: RegExp }[] = [
    {
      name: 'a truncated MP4 (moov at the end, cut in half)',
      build: async () => {
        const file = await make('truncated.mp4', [
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=320x180:rate=25:duration=3',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
        ]);
        const { size } = await stat(file);
        await truncate(file, Math.floor(size / 2));
        return file;
      },
      reason: /not a readable video.*moov atom not found/i,
    },
    {
      name: 'a zero-byte file',
      build: async () => {
        const file = join(h.root, 'empty.mp4');
        await writeFile(file, '');
        return file;
      },
      reason: /not a readable video/i,
    },
    {
      name: 'an audio-only file',
      build: () => make('audio.m4a', ['-f', 'lavfi', '-i', 'sine=duration=3', '-c:a', 'aac']),
      reason: /has no video stream/i,
    },
    {
      name: 'a text file named .mp4',
      build: async () => {
        const file = join(h.root, 'notes.mp4');
        await writeFile(file, 'these are my notes, not a video\n'.repeat(100));
        return file;
      },
      reason: /not a readable video/i,
    },
    {
      name: 'a 0.5 s video',
      build: () =>
        make('short.mp4', [
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=320x180:rate=25:duration=0.5',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
        ]),
      reason: /0\.5\d? s long; a clip needs at least 1 s/,
    },
    {
      name: 'a huge-resolution header (10000×1000)',
      build: () =>
        make('huge.mkv', [
          '-f',
          'lavfi',
          '-i',
          'color=c=gray:s=10000x1000:d=1:r=1',
          '-c:v',
          'mjpeg',
          '-pix_fmt',
          'yuvj420p',
        ]),
      reason: /10000×1000, above the limit/,
    },
    {
      // A playlist naming another file (another tenant's clip, in real life): ffmpeg would read it.
      name: 'an HLS playlist named .mp4 that names another video',
      build: async () => {
        const other = await make('other.mp4', [
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=320x180:rate=25:duration=2',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
        ]);
        const file = join(h.root, 'playlist.mp4');
        await writeFile(file, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${other}\n#EXT-X-ENDLIST\n`);
        return file;
      },
      reason: /the source is a "hls" container, which is not accepted/,
    },
    {
      name: 'an ffconcat list named .mp4',
      build: async () => {
        const file = join(h.root, 'list.mp4');
        await writeFile(file, `ffconcat version 1.0\nfile 'other.mp4'\n`);
        return file;
      },
      reason: /the source is a "concat" container, which is not accepted/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const source = await h.upload(await c.build(), 'source');
      const started = performance.now();
      const err = await h.render(source, { width: 360, preset: 'ultrafast' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const seconds = (performance.now() - started) / 1000;
      expect(err).toBeInstanceOf(PermanentError); // permanent: the consumer loop does not retry it
      expect((err as Error).message).toMatch(c.reason);
      expect(seconds).toBeLessThan(3);
      expect(await h.leftovers()).toEqual([]);
    });
  }

  it('a cancel mid-render kills ffmpeg within 2 s and leaves no partial file', async () => {
    const file = await make('long.mp4', [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=25:duration=20',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=20',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
    ]);
    const source = await h.upload(file, 'long.mp4');
    const controller = new AbortController();
    let abortedAt = 0;
    let runningBefore: number[] = [];
    const tempDir = h.deps.tempDir;
    // Cancel on the render's first real progress event from ffmpeg.
    let cancelling: Promise<void> | undefined;
    const done = h.render(
      source,
      { width: 1080, preset: 'medium', segments: [{ parts: [{ start: 0, end: 20 }] }] },
      {
        signal: controller.signal,
        onProgress: (e) => {
          // Past 10 %: the render itself is running (the first 5 % is loudnorm's measuring pass).
          if (cancelling || e.stage !== 'rendering' || !/\(([2-9]\d)%\)/.test(e.message)) return;
          cancelling = processesWorkingIn(tempDir).then((pids) => {
            runningBefore = pids;
            abortedAt = performance.now();
            controller.abort(new Error('cancelled by test'));
          });
        },
      },
    );
    await expect(done).rejects.toThrow(/ffmpeg was stopped|aborted/);
    const seconds = (performance.now() - abortedAt) / 1000;
    expect(runningBefore.length).toBeGreaterThan(0); // the check below would see ffmpeg if it lived
    expect(seconds).toBeLessThan(2);
    expect(await processesWorkingIn(tempDir)).toEqual([]);
    for (const pid of runningBefore) expect(() => process.kill(pid, 0)).toThrow();
    expect(await h.leftovers()).toEqual([]);
    // Nothing reached the media store but the uploads.
    const stored = await readdir(join(h.root, 'media'), { recursive: true });
    expect(stored.filter((p) => !p.startsWith('uploads'))).toEqual([]);
  });
});
