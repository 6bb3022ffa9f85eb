import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo } from '@reelforge/testing';
import { MediaProbeError, inputGuard, isAllowedContainer, probeMedia } from '../src/index.ts';

const run = promisify(execFile);

/** The probe's failure, or undefined when it succeeded. */
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as MediaProbeError,
  );

describe('probeMedia: ffprobe through the container allow-list (real ffprobe)', () => {
  let dir: string;
  let video: string;
  const ffprobe = inject('ffprobePath');
  const ffmpeg = inject('ffmpegPath');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'media-probe-'));
    video = await makeTestVideo(ffmpeg, join(dir, 'video.mp4'), { seconds: 2, width: 320, height: 180 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads an MP4: container, duration, streams', async () => {
    const m = await probeMedia(ffprobe, video, { kind: 'video', timeoutMs: 10_000 });
    expect(m.formatName).toBe('mov,mp4,m4a,3gp,3g2,mj2');
    expect(m.durationSeconds).toBeGreaterThan(1.9);
    expect(m.streams.find((s) => s.codecType === 'video')).toMatchObject({
      width: 320,
      height: 180,
      frameRate: 25,
      attachedPic: false,
    });
  });

  it('refuses an HLS playlist and a concat list naming a real video, naming the container, without reading the video', async () => {
    const hls = join(dir, 'hls.mp4');
    await writeFile(hls, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${video}\n#EXT-X-ENDLIST\n`);
    const concat = join(dir, 'concat.mkv');
    await writeFile(concat, `ffconcat version 1.0\nfile '${video}'\n`);
    // Without the guard ffprobe follows the playlist: the very hole the allow-list closes.
    const { stdout } = await run(ffprobe, [
      '-v',
      'error',
      '-show_entries',
      'format=format_name,duration',
      '-of',
      'json',
      hls,
    ]);
    expect(JSON.parse(stdout).format.format_name).toBe('hls');
    for (const [file, name] of [
      [hls, 'hls'],
      [concat, 'concat'],
    ] as const) {
      const err = await failureOf(probeMedia(ffprobe, file, { kind: 'video', timeoutMs: 10_000 }));
      expect(err).toBeInstanceOf(MediaProbeError);
      expect(err!.failure).toBe('not-allowed');
      expect(err!.isInputFault).toBe(true);
      expect(err!.message).toBe(
        `the file is a "${name}" container, which is not accepted (accepted: MP4/MOV, Matroska/WebM, MPEG-TS, MPEG-PS, AVI or FLV)`,
      );
    }
  });

  it('images only through the single-image demuxers; a video is not an image', async () => {
    const png = join(dir, 'logo.png');
    await run(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'color=red:size=64x32', '-frames:v', '1', png]);
    const image = await probeMedia(ffprobe, png, { kind: 'image', timeoutMs: 10_000 });
    expect(image.formatName).toBe('png_pipe');
    expect(image.streams[0]).toMatchObject({ width: 64, height: 32 });
    // No image demuxer recognises an MP4, so nothing opens it at all.
    const asImage = await failureOf(probeMedia(ffprobe, video, { kind: 'image', timeoutMs: 10_000 }));
    expect(asImage?.isInputFault).toBe(true);
    expect(asImage?.message).toMatch(/^the file is not a readable image/);
  });

  it('a text file is unreadable, in ffprobe’s words, without our path', async () => {
    const notes = join(dir, 'notes.mp4');
    await writeFile(notes, 'not a video\n'.repeat(20));
    const err = await failureOf(probeMedia(ffprobe, notes, { kind: 'video', timeoutMs: 10_000 }));
    expect(err?.failure).toBe('unreadable');
    expect(err?.message).toMatch(/^the file is not a readable video \(.*Invalid data/);
    expect(err?.message).not.toContain(dir);
  });

  it('our own trouble is not the file’s fault: a missing ffprobe, one that hangs (timeout), one stopped by a signal', async () => {
    const missing = await failureOf(
      probeMedia(join(dir, 'no-such-ffprobe'), video, { kind: 'video', timeoutMs: 10_000 }),
    );
    expect(missing?.failure).toBe('tool-missing');
    expect(missing?.isInputFault).toBe(false);
    // A stand-in for an ffprobe stuck on a slow disk: the deadline is what is under test.
    const stuck = join(dir, 'stuck-ffprobe');
    await writeFile(stuck, '#!/bin/sh\nexec sleep 30\n');
    await chmod(stuck, 0o755);
    const started = performance.now();
    const timedOut = await failureOf(probeMedia(stuck, video, { kind: 'video', timeoutMs: 300 }));
    expect(timedOut?.failure).toBe('timeout');
    const controller = new AbortController();
    const stopped = failureOf(
      probeMedia(stuck, video, { kind: 'video', timeoutMs: 10_000, signal: controller.signal }),
    );
    controller.abort();
    expect((await stopped)?.failure).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('the guard names only the file protocol and the allowed demuxers', () => {
    expect(inputGuard('video')).toEqual([
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,mpeg,avi,flv',
    ]);
    expect(isAllowedContainer('matroska,webm', 'video')).toBe(true);
    expect(isAllowedContainer('hls', 'video')).toBe(false);
    expect(isAllowedContainer('image2', 'image')).toBe(false);
    expect(isAllowedContainer('', 'video')).toBe(false);
  });
});
