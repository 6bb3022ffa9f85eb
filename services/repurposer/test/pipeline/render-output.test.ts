import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderOptions } from '@reelforge/contracts';
import {
  changedFraction,
  createHarness,
  ffmpegRun,
  frameAt,
  integratedLoudness,
  streamFacts,
  type Harness,
} from '../support/pipeline-harness.ts';

// 360×640 outputs from a 640×360 source: small enough to render in about a second each.
const W = 360;
const H = 640;
const base: RenderOptions = {
  width: W,
  preset: 'ultrafast',
  fadeSeconds: 0,
  segments: [{ parts: [{ start: 2, end: 6 }] }],
};
const pixel = (frame: Buffer, x: number, y: number) => [...frame.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];

describe('render: geometry, codecs, durations, overlays', () => {
  let h: Harness;
  let source: string;

  beforeAll(async () => {
    h = await createHarness();
    const file = join(h.root, 'source.mp4');
    await ffmpegRun(h.ffmpeg, [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25:duration=12',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:sample_rate=48000:duration=12',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      file,
    ]);
    source = await h.upload(file, 'source.mp4');
  });
  afterAll(() => h.close());

  const renderOne = async (options: RenderOptions, extra?: { captionsUrl?: string }) => {
    const { clips } = await h.render(source, { ...base, ...options }, extra);
    expect(clips).toHaveLength(1);
    return { clip: clips[0]!, file: h.store.pathOf(clips[0]!.mediaKey) };
  };

  it('every mode gives the requested size, H.264 + AAC, faststart, the segment length ±0.1 s, and a same-aspect JPEG thumbnail', async () => {
    for (const mode of ['crop', 'fit_blur', 'pad'] as const) {
      const { clip, file } = await renderOne({ mode });
      const facts = await streamFacts(h.ffprobe, file);
      expect(facts, mode).toMatchObject({
        width: W,
        height: H,
        videoCodec: 'h264',
        audioCodec: 'aac',
        faststart: true,
      });
      expect(Math.abs(facts.durationSeconds - 4), `${mode} duration ${facts.durationSeconds}`).toBeLessThanOrEqual(0.1);
      expect(clip).toMatchObject({
        width: W,
        height: H,
        segment: [{ start: 2, end: 6 }],
        reason: 'chosen by the caller',
        captioned: false,
        title: null,
      });
      const thumb = await readFile(h.store.pathOf(clip.thumbnailKey));
      expect(thumb.subarray(0, 3).toString('hex')).toBe('ffd8ff'); // JPEG magic
      const thumbFacts = await streamFacts(h.ffprobe, h.store.pathOf(clip.thumbnailKey));
      expect(thumbFacts.width / thumbFacts.height).toBeCloseTo(W / H, 2);
    }
    expect(await h.leftovers()).toEqual([]);
  });

  it('pad draws bars of the given colour; fit_blur fills them with the blurred picture; crop has no bars', async () => {
    const pad = await frameAt(h.ffmpeg, (await renderOne({ mode: 'pad', padColor: '#FF0000' })).file, 1);
    const blur = await frameAt(h.ffmpeg, (await renderOne({ mode: 'fit_blur' })).file, 1);
    const crop = await frameAt(h.ffmpeg, (await renderOne({ mode: 'crop' })).file, 1);
    // 640×360 fitted into 360 wide is 360×202, centred: bars of ~219 rows above and below.
    const [r, g, b] = pixel(pad, W / 2, 40);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(50);
    expect(b).toBeLessThan(50);
    // The fitted picture in the middle is the same in pad and fit_blur…
    expect(changedFraction(pad, blur, W, 240, 400)).toBeLessThan(0.05);
    // …the bands above it are not: red bars against the blurred copy.
    expect(changedFraction(pad, blur, W, 0, 200)).toBeGreaterThan(0.5);
    // crop fills the frame with the (scaled-up) picture: its top band is neither red nor the blur.
    expect(changedFraction(crop, pad, W, 0, 200)).toBeGreaterThan(0.5);
    expect(changedFraction(crop, blur, W, 0, 200)).toBeGreaterThan(0.2);
  });

  it('crop follows cropX: left and right windows differ', async () => {
    const left = await frameAt(h.ffmpeg, (await renderOne({ mode: 'crop', cropX: 0 })).file, 1);
    const right = await frameAt(h.ffmpeg, (await renderOne({ mode: 'crop', cropX: 1 })).file, 1);
    expect(changedFraction(left, right, W, 0, H)).toBeGreaterThan(0.3);
  });

  it('a clip joined from two parts with a 1 s xfade is 3 + 3 − 1 = 5 s long', async () => {
    const { clip, file } = await renderOne({
      mode: 'crop',
      segments: [
        {
          parts: [
            { start: 1, end: 4 },
            { start: 7, end: 10 },
          ],
        },
      ],
      transition: 'wipeleft',
      transitionSeconds: 1,
    });
    const facts = await streamFacts(h.ffprobe, file);
    expect(Math.abs(facts.durationSeconds - 5), `duration ${facts.durationSeconds}`).toBeLessThanOrEqual(0.1);
    expect(clip.segment).toEqual([
      { start: 1, end: 4 },
      { start: 7, end: 10 },
    ]);
  });

  it('captions and the title really appear where they are drawn, and nowhere else', async () => {
    const srt = join(h.root, 'captions.srt');
    await writeFile(
      srt,
      '1\n00:00:01,000 --> 00:00:05,500\nThe quick brown fox jumps\n\n2\n00:00:05,500 --> 00:00:09,000\nover the lazy dog.\n',
    );
    const captionsUrl = await h.upload(srt, 'captions.srt');
    const plain = await frameAt(h.ffmpeg, (await renderOne({ mode: 'pad' })).file, 1.5);
    const captioned = await renderOne({ mode: 'pad' }, { captionsUrl });
    expect(captioned.clip.captioned).toBe(true);
    const withCaptions = await frameAt(h.ffmpeg, captioned.file, 1.5);
    // Captions sit in the lower part of the frame (lifted off the bottom edge); the top stays as it was.
    expect(changedFraction(plain, withCaptions, W, Math.round(H * 0.55), H)).toBeGreaterThan(0.01);
    expect(changedFraction(plain, withCaptions, W, 0, Math.round(H * 0.3))).toBe(0);

    const titled = await renderOne({ mode: 'pad', title: { text: 'Watch this', start: 0, end: 3 } });
    expect(titled.clip.title).toBe('Watch this');
    const withTitle = await frameAt(h.ffmpeg, titled.file, 1.5);
    expect(changedFraction(plain, withTitle, W, 0, Math.round(H * 0.3))).toBeGreaterThan(0.01);
    expect(changedFraction(plain, withTitle, W, Math.round(H * 0.55), H)).toBe(0);
    // The title ends at 3 s: a later frame is clean again.
    expect(
      changedFraction(
        await frameAt(h.ffmpeg, (await renderOne({ mode: 'pad' })).file, 3.5),
        await frameAt(h.ffmpeg, titled.file, 3.5),
        W,
        0,
        Math.round(H * 0.3),
      ),
    ).toBe(0);
  });

  it('a title with `%` and `%{…}` is drawn as written (drawtext expands nothing)', async () => {
    const plain = await frameAt(h.ffmpeg, (await renderOne({ mode: 'pad' })).file, 1.5);
    for (const text of ['50% off', '100%{pts} real']) {
      const titled = await renderOne({ mode: 'pad', title: { text, start: 0, end: 3 } });
      expect(titled.clip.title).toBe(text);
      const withTitle = await frameAt(h.ffmpeg, titled.file, 1.5);
      expect(changedFraction(plain, withTitle, W, 0, Math.round(H * 0.3)), text).toBeGreaterThan(0.01);
    }
  });

  it('a logo is overlaid in its corner', async () => {
    const png = join(h.root, 'logo.png');
    await ffmpegRun(h.ffmpeg, ['-f', 'lavfi', '-i', 'color=c=yellow:s=200x100', '-frames:v', '1', png]);
    const location = await h.upload(png, 'logo.png');
    const plain = await frameAt(h.ffmpeg, (await renderOne({ mode: 'pad' })).file, 1);
    const logo = await frameAt(
      h.ffmpeg,
      (
        await renderOne({
          mode: 'pad',
          logo: {
            uploadId: '00000000-0000-4000-8000-000000000000',
            location,
            position: 'top-right',
            scale: 0.25,
            opacity: 1,
          },
        })
      ).file,
      1,
    );
    const [r, g, b] = pixel(logo, W - 30, 30);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
    // Elsewhere the picture is as it was, up to encoder noise at testsrc2's sharp edges.
    expect(changedFraction(plain, logo, W, Math.round(H * 0.5), H)).toBeLessThan(0.02);
    expect(changedFraction(plain, logo, W, 0, Math.round(H * 0.5))).toBeGreaterThan(0.02);
  });

  it('a source rotated 90° (display matrix) is rendered upright: portrait fills a portrait frame without bars', async () => {
    const rotated = join(h.root, 'rotated.mp4');
    await ffmpegRun(h.ffmpeg, [
      '-i',
      h.store.pathOf(source.slice('media:'.length)),
      '-c',
      'copy',
      '-metadata:s:v:0',
      'rotate=90',
      rotated,
    ]);
    const upright = await frameAt(
      h.ffmpeg,
      (await h.render(await h.upload(rotated, 'rotated.mp4'), { ...base, mode: 'pad', padColor: '#000000' })).clips.map(
        (c) => h.store.pathOf(c.mediaKey),
      )[0]!,
      1,
    );
    // Unrotated, 640×360 fits 360×640 with black bars above and below; rotated to 360×640 it fills the frame.
    const [r, g, b] = pixel(upright, W / 2, 40);
    expect(r! + g! + b!, `top pixel ${[r, g, b]}`).toBeGreaterThan(150);
    const sideways = await frameAt(h.ffmpeg, (await renderOne({ mode: 'pad', padColor: '#000000' })).file, 1);
    const [sr, sg, sb] = pixel(sideways, W / 2, 40);
    expect(sr! + sg! + sb!, `bar pixel ${[sr, sg, sb]}`).toBeLessThan(40);
  });

  it('loudness is normalised to the target (−14 LUFS by default) within 1.5 LU', async () => {
    const { file } = await renderOne({ mode: 'crop', segments: [{ parts: [{ start: 0, end: 10 }] }] });
    const integrated = await integratedLoudness(h.ffmpeg, file);
    expect(Math.abs(integrated + 14), `integrated ${integrated} LUFS`).toBeLessThanOrEqual(1.5);
  });
});
