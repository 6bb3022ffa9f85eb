import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { audioLevels } from '../../src/faces/audio-levels.ts';
import { chooseSpeaker } from '../../src/faces/choose-speaker.ts';
import type { Track } from '../../src/faces/choose-subject.ts';
import { chooseClipReframe } from '../../src/faces/clip-reframe.ts';
import { cropWindowWidth, pathAt } from '../../src/faces/crop-path.ts';
import type { FaceDetector, MouthFace } from '../../src/faces/face.ts';
import { loadFaceDetector } from '../../src/faces/load-detector.ts';
import { planTrack } from '../../src/faces/plan-track.ts';
import { sampleFrames } from '../../src/faces/sample-frames.ts';
import { resolveRenderOptions } from '../../src/render/resolve-options.ts';
import { ensureTool, TOOLS } from '@reelforge/local-infra';
import {
  BURSTS,
  FRAME,
  espeakSpeech,
  makeTwoFaceVideo,
  twoFaceLayout,
  type TwoFaceVideo,
} from '../support/face-video.ts';

const OUTPUT = { width: 1080, height: 1920 };
// The 9:16 window over the 1280×720 source: 405 px wide.
const WINDOW_PX = cropWindowWidth(FRAME, OUTPUT) * FRAME.width;

const SMALL_SPEAKS: TwoFaceVideo = { manSize: 300, womanSize: 420, manSpeaks: true };
const BIG_SPEAKS: TwoFaceVideo = { manSize: 420, womanSize: 300, manSpeaks: true };
const NOBODY_MOVES: TwoFaceVideo = { manSize: 300, womanSize: 420, manSpeaks: false };

const voiced = (t: number) => BURSTS.some(([a, b]) => t >= a && t <= b);

describe('the speaking face among several (real face mesh, real ffmpeg)', () => {
  const ffmpeg = inject('ffmpegPath');
  const never = new AbortController().signal;
  let dir: string;
  let detector: FaceDetector;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-speaker-'));
    await makeTwoFaceVideo(ffmpeg, join(dir, 'small-speaks.mp4'), SMALL_SPEAKS);
    await makeTwoFaceVideo(ffmpeg, join(dir, 'big-speaks.mp4'), BIG_SPEAKS);
    await makeTwoFaceVideo(ffmpeg, join(dir, 'nobody-moves.mp4'), NOBODY_MOVES);
    detector = await loadFaceDetector();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const plan = (source: string) =>
    planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source,
      sourceSize: { ...FRAME, rotation: 0 },
      output: OUTPUT,
      parts: [{ start: 0, end: 8 }],
      transitionSeconds: 0.5,
      sceneCuts: [],
      detector,
      signal: never,
    });

  /** The window's centre (source px) at every frame (25 fps) of the clip. */
  const centres = (keyframes: { t: number; x: number }[]) =>
    Array.from({ length: 200 }, (_, i) => ({ t: i / 25, x: pathAt(keyframes, i / 25) * FRAME.width }));

  it('the construction holds: the face mesh reads the painted mouth as open during a burst and closed between, and ffmpeg hears the bursts', async () => {
    const man = (faces: MouthFace[]) => faces.reduce((a, b) => (a.box.x < b.box.x ? a : b));
    const openness: { t: number; open: number }[] = [];
    await sampleFrames(
      {
        ffmpegPath: ffmpeg,
        cwd: dir,
        input: 'small-speaks.mp4',
        start: 0,
        duration: 8,
        fps: 4,
        width: 640,
        height: 360,
        threads: 1,
        signal: never,
      },
      async (frame, t) => {
        const faces = await detector.mouths(frame);
        expect(faces, `two faces at ${t}`).toHaveLength(2);
        openness.push({ t, open: man(faces).openness });
      },
    );
    // Away from the burst edges (the frame nearest a sample time may be a B-run off).
    const clearly = (inBurst: boolean) =>
      openness
        .filter((o) => voiced(o.t) === inBurst && voiced(o.t - 0.15) === inBurst && voiced(o.t + 0.15) === inBurst)
        .map((o) => o.open);
    const open = clearly(true);
    const closed = clearly(false);
    expect(open.length).toBeGreaterThanOrEqual(8);
    expect(closed.length).toBeGreaterThanOrEqual(6);
    expect(Math.min(...open)).toBeGreaterThan(0.03);
    expect(Math.max(...closed)).toBeLessThan(0.015);

    const levels = await audioLevels({
      ffmpegPath: ffmpeg,
      cwd: dir,
      input: 'small-speaks.mp4',
      start: 0,
      duration: 8,
      signal: never,
    });
    expect(levels.rms.length).toBe(160);
    const at = (t: number) => levels.rms[Math.floor(t / levels.windowSeconds)]!;
    expect(at(1)).toBeGreaterThan(0.2);
    expect(at(1.75)).toBeLessThan(0.01);
  });

  it('the speaking face is the smaller one: the window follows it at every frame, and never shows the bigger, silent face; the reason says the speaker decided', async () => {
    const p = await plan('small-speaks.mp4');
    expect(p).toMatchObject({ kind: 'track', multiFaceShots: 1, speakerShots: 1 });
    if (p.kind !== 'track') return;
    const { man, woman } = twoFaceLayout(SMALL_SPEAKS);
    for (const { t, x } of centres(p.keyframes)) {
      const left = x - WINDOW_PX / 2;
      const right = x + WINDOW_PX / 2;
      expect(left <= man.x + man.size / 2 && right >= man.x + man.size / 2, `the speaker in the window at ${t}`).toBe(
        true,
      );
      expect(right, `the silent face out of the window at ${t}`).toBeLessThan(woman.x);
    }
    const out = await chooseClipReframe({
      r: resolveRenderOptions({ mode: 'track' }),
      parts: [{ start: 0, end: 8 }],
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'small-speaks.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      sceneCuts: [],
      faceDetector: () => Promise.resolve(detector),
      signal: never,
    });
    expect(out.note).toMatch(
      /^reframe: track \(a face in 16 of 16 sampled frames, 1 shot, \d+ keyframes; speaker: the face whose mouth moves with the voice in 1 of 1 shot with several faces\)$/,
    );
  });

  it('speech, not a tone (espeak-ng, its phrases and pauses): the smaller face whose mouth opens while the voice sounds is followed, never the bigger silent one', async () => {
    const espeak = ensureTool(TOOLS.espeakNg, (line) => process.stderr.write(`[speaker-test] ${line}\n`));
    const speech = await espeakSpeech(
      espeak,
      ffmpeg,
      join(dir, 'speech.wav'),
      'Hello there. Today we talk about clips, faces, and voices. Short sentences, with pauses, help a lot.',
    );
    // Phrases with pauses between them: what tells one voice's face from another.
    expect(speech.spans.length).toBeGreaterThanOrEqual(4);
    const video = { ...SMALL_SPEAKS, speech };
    await makeTwoFaceVideo(ffmpeg, join(dir, 'speech.mp4'), video);
    const p = await plan('speech.mp4');
    expect(p).toMatchObject({ kind: 'track', multiFaceShots: 1, speakerShots: 1 });
    if (p.kind !== 'track') return;
    const { woman } = twoFaceLayout(video);
    for (const { t, x } of centres(p.keyframes))
      expect(x + WINDOW_PX / 2, `the silent face out of the window at ${t}`).toBeLessThan(woman.x);
  });

  it('the speaking face is the bigger one: followed as well', async () => {
    const p = await plan('big-speaks.mp4');
    expect(p).toMatchObject({ kind: 'track', multiFaceShots: 1, speakerShots: 1 });
    if (p.kind !== 'track') return;
    const { man, woman } = twoFaceLayout(BIG_SPEAKS);
    for (const { t, x } of centres(p.keyframes)) {
      expect(Math.abs(x - (man.x + man.size / 2)), `window on the speaker at ${t}`).toBeLessThanOrEqual(WINDOW_PX / 4);
      expect(x + WINDOW_PX / 2).toBeLessThan(woman.x);
    }
  });

  it('no mouth moves with the voice: no speaker is claimed, and the largest face is followed as before', async () => {
    const p = await plan('nobody-moves.mp4');
    expect(p).toMatchObject({ kind: 'track', multiFaceShots: 1, speakerShots: 0 });
    if (p.kind !== 'track') return;
    const { woman } = twoFaceLayout(NOBODY_MOVES);
    for (const { x } of centres(p.keyframes))
      expect(Math.abs(x - (woman.x + woman.size / 2))).toBeLessThanOrEqual(WINDOW_PX / 4);
  });
});

describe('chooseSpeaker', () => {
  const track = (x: number): Track => ({
    points: Array.from({ length: 9 }, (_, i) => ({ t: i, box: { x, y: 0.3, width: 0.2, height: 0.3, score: 0.9 } })),
    weight: 1,
  });
  const face = (x: number, openness: number): MouthFace => ({
    box: { x, y: 0.3, width: 0.2, height: 0.3, score: 0.9 },
    openness,
  });
  const loud = (t: number) => (t % 2 === 0 ? 0.3 : 0.001);

  it('the mouth that opens with the sound is the speaker; a still one is not', () => {
    const a = track(0.1);
    const b = track(0.6);
    const mouths = Array.from({ length: 9 }, (_, t) => ({
      t,
      faces: [face(0.1, 0.01), face(0.6, t % 2 === 0 ? 0.06 : 0.005)],
    }));
    const c = chooseSpeaker([a, b], mouths, loud);
    expect(c.speaker).toBe(b);
    expect(c.scores[1]).toBeGreaterThan(0.9);
  });

  it('two mouths moving alike, too few samples, or a voice that never pauses: no speaker', () => {
    const a = track(0.1);
    const b = track(0.6);
    const both = Array.from({ length: 9 }, (_, t) => ({
      t,
      faces: [face(0.1, t % 2 === 0 ? 0.06 : 0.005), face(0.6, t % 2 === 0 ? 0.05 : 0.005)],
    }));
    expect(chooseSpeaker([a, b], both, loud).speaker).toBeNull();
    const mouthOfB = (t: number) => ({ t, faces: [face(0.1, 0.01), face(0.6, t % 2 === 0 ? 0.06 : 0.005)] });
    expect(chooseSpeaker([a, b], [0, 1, 2, 3].map(mouthOfB), loud).speaker).toBeNull();
    const steady = Array.from({ length: 9 }, (_, t) => mouthOfB(t));
    expect(chooseSpeaker([a, b], steady, () => 0.3).speaker).toBeNull();
  });
});
