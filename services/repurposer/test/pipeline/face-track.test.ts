import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderOptions } from '@reelforge/contracts';
import { FaceDetectorLoadError, type FaceDetector } from '../../src/faces/face.ts';
import { loadFaceDetector } from '../../src/faces/load-detector.ts';
import { TWO_SHOTS, makeMovingFaceVideo, makeTwoFaceVideo, makeTwoShotVideo } from '../support/face-video.ts';
import { createHarness, frameAt, streamFacts, type Harness } from '../support/pipeline-harness.ts';

// 360×640 outputs (9:16): small enough to render in a few seconds.
const W = 360;
const H = 640;
const base: RenderOptions = {
  width: W,
  preset: 'ultrafast',
  fadeSeconds: 0,
  segments: [{ parts: [{ start: 0, end: 8 }] }],
};

describe('render: face-tracked reframe through the pipeline (real detector, real ffmpeg)', () => {
  let h: Harness;
  let source: string;
  let twoShots: string;
  let speaker: string;
  let detector: FaceDetector;

  beforeAll(async () => {
    h = await createHarness();
    detector = await loadFaceDetector();
    h.deps.faceDetector = loadFaceDetector;
    const file = join(h.root, 'moving.mp4');
    await makeMovingFaceVideo(h.ffmpeg, file);
    source = await h.upload(file, 'moving.mp4');
    const cutFile = join(h.root, 'two-shots.mp4');
    await makeTwoShotVideo(h.ffmpeg, cutFile);
    twoShots = await h.upload(cutFile, 'two-shots.mp4');
    const speakerFile = join(h.root, 'speaker.mp4');
    // The man (300 px, left) speaks; the woman (420 px, right) is bigger and silent.
    await makeTwoFaceVideo(h.ffmpeg, speakerFile, { manSize: 300, womanSize: 420, manSpeaks: true });
    speaker = await h.upload(speakerFile, 'speaker.mp4');
  });
  afterAll(() => h.close());

  it('a 9:16 clip with no mode given follows the face: the face is found in the output, in the middle half of the frame, at 1, 3, 5 and 7 s; the clip says it was tracked', async () => {
    const { clips, progress } = await h.render(source, base);
    expect(clips).toHaveLength(1);
    const clip = clips[0]!;
    expect(clip.reason).toMatch(
      /^chosen by the caller; reframe: track \(a face in 16 of 16 sampled frames, 1 shot, \d+ keyframes\)$/,
    );
    expect(progress.some((p) => p.message.startsWith('clip 1 of 1: reframe: track'))).toBe(true);
    const file = h.store.pathOf(clip.mediaKey);
    expect(await streamFacts(h.ffprobe, file)).toMatchObject({ width: W, height: H, videoCodec: 'h264' });
    for (const t of [1, 3, 5, 7]) {
      const frame = await frameAt(h.ffmpeg, file, t);
      const faces = await detector.detect({ width: W, height: H, data: new Uint8Array(frame) });
      expect(faces.length, `a face at ${t} s`).toBeGreaterThanOrEqual(1);
      const centre = faces[0]!.x + faces[0]!.width / 2;
      expect(Math.abs(centre - W / 2), `face centre ${centre.toFixed(0)} at ${t} s`).toBeLessThanOrEqual(W / 4);
    }
    expect(await h.leftovers()).toEqual([]);
  });

  it('two faces, the smaller one speaking: the clip shows the speaker alone, centred, with the mouth open while the voice sounds; its reason says the speaker decided', async () => {
    const { clips } = await h.render(speaker, base);
    const file = h.store.pathOf(clips[0]!.mediaKey);
    // The face shown opens its mouth in the voice's bursts and closes it between them: the speaker
    // (the silent woman's smile reads as ≈ 0.03 open throughout).
    for (const [t, open] of [
      [1, true],
      [1.75, false],
      [3.6, true],
      [4.6, false],
      [6.6, true],
    ] as const) {
      const frame = await frameAt(h.ffmpeg, file, t);
      const faces = await detector.mouths({ width: W, height: H, data: new Uint8Array(frame) });
      // One face: the window holds the speaker, and none of the silent face.
      expect(faces, `faces at ${t} s`).toHaveLength(1);
      const centre = faces[0]!.box.x + faces[0]!.box.width / 2;
      expect(Math.abs(centre - W / 2), `face centre ${centre.toFixed(0)} at ${t} s`).toBeLessThanOrEqual(W / 4);
      if (open) expect(faces[0]!.openness, `the mouth open at ${t} s`).toBeGreaterThan(0.03);
      else expect(faces[0]!.openness, `the mouth closed at ${t} s`).toBeLessThan(0.015);
    }
    expect(clips[0]!.reason).toMatch(
      /reframe: track \(a face in 16 of 16 sampled frames, 1 shot, \d+ keyframes; speaker: the face whose mouth moves with the voice in 1 of 1 shot with several faces\)$/,
    );
  });

  it('explicit segments (no analysis pass) across a hard cut: the window cuts with the shot, so the face is centred just after the cut too', async () => {
    const { clips } = await h.render(twoShots, base);
    const file = h.store.pathOf(clips[0]!.mediaKey);
    // 0.3 s after the cut: a window panning from the left face would still be far from the right one.
    for (const t of [2, TWO_SHOTS.cut - 0.3, TWO_SHOTS.cut + 0.3, 6]) {
      const frame = await frameAt(h.ffmpeg, file, t);
      const faces = await detector.detect({ width: W, height: H, data: new Uint8Array(frame) });
      expect(faces.length, `a face at ${t} s`).toBeGreaterThanOrEqual(1);
      const centre = faces[0]!.x + faces[0]!.width / 2;
      expect(Math.abs(centre - W / 2), `face centre ${centre.toFixed(0)} at ${t} s`).toBeLessThanOrEqual(W / 4);
    }
    expect(clips[0]!.reason).toMatch(/reframe: track \(a face in 16 of 16 sampled frames, 2 shots, \d+ keyframes\)$/);
  });

  it('a detector that does not load: the task still completes, in fit_blur, and the clip and progress say why', async () => {
    const warnings: string[] = [];
    h.deps.faceDetector = () => Promise.reject(new FaceDetectorLoadError('no wasm here'));
    h.deps.log = { warn: (_fields, message) => warnings.push(message) };
    try {
      const { clips, progress } = await h.render(source, { ...base, mode: 'track' });
      expect(clips[0]!.reason).toBe('chosen by the caller; reframe: fit_blur (face tracking failed: no wasm here)');
      expect(progress.some((p) => p.message.includes('face tracking failed: no wasm here'))).toBe(true);
      expect(warnings).toEqual(['face tracking failed; the clip uses fit_blur']);
    } finally {
      h.deps.faceDetector = loadFaceDetector;
      delete h.deps.log;
    }
  });

  it('an explicit mode is kept: fit_blur renders as before, with nothing sampled and nothing added to the reason', async () => {
    h.deps.faceDetector = () => Promise.reject(new Error('must not be called'));
    try {
      const { clips } = await h.render(source, { ...base, mode: 'fit_blur' });
      expect(clips[0]!.reason).toBe('chosen by the caller');
    } finally {
      h.deps.faceDetector = loadFaceDetector;
    }
  });
});
