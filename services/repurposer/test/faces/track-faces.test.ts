import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { measureSignals } from '../../src/analysis/measure-signals.ts';
import { chooseClipReframe } from '../../src/faces/clip-reframe.ts';
import { DEFAULT_PATH_BOUNDS, cropWindowWidth, pathAt, type Keyframe } from '../../src/faces/crop-path.ts';
import { FaceDetectorLoadError, type FaceDetector } from '../../src/faces/face.ts';
import { loadFaceDetector } from '../../src/faces/load-detector.ts';
import { planTrack } from '../../src/faces/plan-track.ts';
import { sampleFrames, sampleFramesArgs } from '../../src/faces/sample-frames.ts';
import { resolveRenderOptions } from '../../src/render/resolve-options.ts';
import {
  FACE_SIZE,
  FRAME,
  TWO_SHOTS,
  makeMovingFaceVideo,
  makeTwoShotVideo,
  movingFaceX,
} from '../support/face-video.ts';
import { ffmpegRun } from '../support/pipeline-harness.ts';

const OUTPUT = { width: 1080, height: 1920 };
// The 9:16 window over the 1280×720 source: 405 px wide.
const WINDOW_PX = cropWindowWidth(FRAME, OUTPUT) * FRAME.width;
// The fastest the window may move between two frames at 25 fps (maxSpeed), in source pixels.
const MAX_STEP_PX = (DEFAULT_PATH_BOUNDS.maxSpeed * WINDOW_PX) / 25;

/** The window's centre in source pixels at every frame (25 fps) of [from, to]. */
const centres = (keyframes: Keyframe[], from: number, to: number) => {
  const out: { t: number; x: number }[] = [];
  for (let i = Math.round(from * 25); i <= Math.round(to * 25); i++)
    out.push({ t: i / 25, x: pathAt(keyframes, i / 25) * FRAME.width });
  return out;
};

/** Whether a process whose command line mentions `needle` is still running. */
async function processRunning(needle: string): Promise<boolean> {
  const { readdir } = await import('node:fs/promises');
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) return true;
  }
  return false;
}

describe('face tracking on the real detector and ffmpeg', () => {
  const ffmpeg = inject('ffmpegPath');
  let dir: string;
  let detector: FaceDetector;
  const never = new AbortController().signal;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-faces-'));
    await makeMovingFaceVideo(ffmpeg, join(dir, 'moving.mp4'));
    await makeTwoShotVideo(ffmpeg, join(dir, 'two-shots.mp4'));
    detector = await loadFaceDetector();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const plan = (source: string, sceneCuts: number[] | null) =>
    planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source,
      sourceSize: { ...FRAME, rotation: 0 },
      output: OUTPUT,
      parts: [{ start: 0, end: 8 }],
      transitionSeconds: 0.5,
      sceneCuts,
      detector,
      signal: never,
    });

  it('the detector loads once per process and finds the face in a sampled frame', async () => {
    expect(await loadFaceDetector()).toBe(detector);
    const found: number[] = [];
    await sampleFrames(
      {
        ffmpegPath: ffmpeg,
        cwd: dir,
        input: 'moving.mp4',
        start: 0,
        duration: 0.5,
        fps: 2,
        width: 640,
        height: 360,
        threads: 1,
        signal: never,
      },
      async (frame) => {
        found.push((await detector.detect(frame)).length);
      },
    );
    expect(found).toEqual([1]);
  });

  it('hands over every frame whole and in order while reading ahead: each the bytes ffmpeg wrote, unchanged while later frames are read, one at a time', async () => {
    // 320×180 RGB is 172,800 bytes: frames straddle the pipe's 64 KiB reads.
    const o = { input: join(dir, 'moving.mp4'), start: 0, duration: 8, fps: 4, width: 320, height: 180, threads: 1 };
    const sha = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
    const held: { data: Uint8Array; sha: string }[] = [];
    let active = 0;
    let overlapped = false;
    const count = await sampleFrames({ ...o, ffmpegPath: ffmpeg, signal: never }, async (frame) => {
      overlapped ||= active++ > 0;
      held.push({ data: frame.data, sha: sha(frame.data) });
      // A slow detector: ffmpeg's next frames arrive meanwhile.
      await new Promise((r) => setTimeout(r, 5));
      active--;
    });
    expect(overlapped).toBe(false);
    expect(count).toBe(32);
    // The same decode written to a file by ffmpeg itself.
    const args = sampleFramesArgs(o).map((a) => (a === 'pipe:1' ? join(dir, 'frames.rgb') : a));
    await ffmpegRun(ffmpeg, args);
    const file = await readFile(join(dir, 'frames.rgb'));
    const frameBytes = 320 * 180 * 3;
    expect(file.length).toBe(32 * frameBytes);
    const expected = Array.from({ length: 32 }, (_, i) => sha(file.subarray(i * frameBytes, (i + 1) * frameBytes)));
    expect(held.map((h) => h.sha)).toEqual(expected);
    expect(held.map((h) => sha(h.data))).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(16);
  });

  it('a face moving left → right: the window centre stays within 80 px (20 % of the 405 px window) of the face at every frame, and moves without jitter (≤ maxSpeed per frame, never reversing)', async () => {
    const p = await plan('moving.mp4', []);
    expect(p.kind).toBe('track');
    if (p.kind !== 'track') return;
    expect(p.facesInSamples).toBe(p.samples);
    const path = centres(p.keyframes, 0, 7.96);
    for (const { t, x } of path) {
      const face = movingFaceX(t) + FACE_SIZE / 2;
      expect(
        Math.abs(x - face),
        `t=${t.toFixed(2)} window ${x.toFixed(0)} face ${face.toFixed(0)}`,
      ).toBeLessThanOrEqual(80);
    }
    const steps = path.slice(1).map((p, i) => p.x - path[i]!.x);
    expect(Math.max(...steps.map(Math.abs))).toBeLessThanOrEqual(MAX_STEP_PX + 0.5);
    // Jitter: the face only ever moves right, so the window never steps left.
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(-0.01);
  });

  it('two shots (a hard cut at 4 s, the face left then right): the window cuts within one frame of the scene cut and does not pan', async () => {
    const signals = await measureSignals({
      ffmpegPath: ffmpeg,
      input: join(dir, 'two-shots.mp4'),
      hasAudio: true,
      threads: 1,
      durationSeconds: 8,
      signal: never,
      onProgress: () => {},
    });
    expect(signals.sceneCuts.map((t) => Math.round(t * 10) / 10)).toEqual([TWO_SHOTS.cut]);
    const p = await plan('two-shots.mp4', signals.sceneCuts);
    expect(p.kind).toBe('track');
    if (p.kind !== 'track') return;
    expect(p.shots).toBe(2);
    const path = centres(p.keyframes, 0, 7.96);
    const steps = path.slice(1).map((q, i) => ({ t: q.t, dx: q.x - path[i]!.x }));
    const moves = steps.filter((s) => Math.abs(s.dx) > 0.5);
    // One move: the cut, a jump of more than half the frame at the scene cut's frame; no pan.
    expect(moves).toHaveLength(1);
    expect(moves[0]!.dx).toBeGreaterThan(FRAME.width / 2);
    expect(Math.abs(moves[0]!.t - TWO_SHOTS.cut)).toBeLessThanOrEqual(0.04 + 1e-9);
    // Each shot's window holds its face picture's middle.
    const before = pathAt(p.keyframes, 2) * FRAME.width;
    const after = pathAt(p.keyframes, 6) * FRAME.width;
    expect(Math.abs(before - (TWO_SHOTS.firstX + FACE_SIZE / 2))).toBeLessThanOrEqual(WINDOW_PX / 4);
    expect(after - WINDOW_PX / 2).toBeLessThanOrEqual(TWO_SHOTS.secondX + FACE_SIZE / 2);
    expect(after + WINDOW_PX / 2).toBeGreaterThanOrEqual(TWO_SHOTS.secondX + FACE_SIZE);
  });

  it('explicit segments (no analysis pass, sceneCuts null): the sampling decode finds the cut inside the part itself, and the path cuts there instead of panning', async () => {
    const p = await planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'two-shots.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      output: OUTPUT,
      // From 1.5 s of the source: the cut at 4 s is at 2.5 s of the clip.
      parts: [{ start: 1.5, end: 8 }],
      transitionSeconds: 0.5,
      sceneCuts: null,
      detector,
      signal: never,
    });
    expect(p.kind).toBe('track');
    if (p.kind !== 'track') return;
    expect(p.shots).toBe(2);
    const clipCut = TWO_SHOTS.cut - 1.5;
    const path = centres(p.keyframes, 0, 6.46);
    const moves = path
      .slice(1)
      .flatMap((q, i) => (Math.abs(q.x - path[i]!.x) > 0.5 ? [{ t: q.t, dx: q.x - path[i]!.x }] : []));
    expect(moves).toHaveLength(1);
    expect(moves[0]!.dx).toBeGreaterThan(FRAME.width / 2);
    expect(Math.abs(moves[0]!.t - clipCut)).toBeLessThanOrEqual(0.04 + 1e-9);
    // Without the cut (what explicit segments got before), the same part pans from one face to the other.
    const blind = await planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'two-shots.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      output: OUTPUT,
      parts: [{ start: 1.5, end: 8 }],
      transitionSeconds: 0.5,
      sceneCuts: [],
      detector,
      signal: never,
    });
    expect(blind.kind === 'track' && blind.shots).toBe(1);
  });

  it('a clip of two parts (joined with a 0.5 s crossfade): each part is sampled at its own place, the join is a cut mid-crossfade, and the window is on the face on both sides', async () => {
    const p = await planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'moving.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      output: OUTPUT,
      parts: [
        { start: 0, end: 3 },
        { start: 5, end: 8 },
      ],
      transitionSeconds: 0.5,
      sceneCuts: [],
      detector,
      signal: never,
    });
    expect(p.kind).toBe('track');
    if (p.kind !== 'track') return;
    expect(p.shots).toBe(2);
    // Clip time 2.75 is the middle of the crossfade (part 2 starts at 2.5 in the clip).
    expect(p.keyframes.filter((k) => k.t === 2.75)).toHaveLength(2);
    const at = (clipT: number, sourceT: number) =>
      Math.abs(pathAt(p.keyframes, clipT) * FRAME.width - (movingFaceX(sourceT) + FACE_SIZE / 2));
    expect(at(1, 1)).toBeLessThanOrEqual(80);
    expect(at(2, 2)).toBeLessThanOrEqual(80);
    expect(at(3.5, 6)).toBeLessThanOrEqual(80);
    expect(at(5, 7.5)).toBeLessThanOrEqual(80);
  });

  it('a clip without a face is not tracked, and says so', async () => {
    await ffmpegRun(ffmpeg, [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=25:duration=3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      join(dir, 'no-face.mp4'),
    ]);
    const p = await planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'no-face.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      output: OUTPUT,
      parts: [{ start: 0, end: 3 }],
      transitionSeconds: 0.5,
      sceneCuts: [],
      detector,
      signal: never,
    });
    expect(p).toEqual({ kind: 'none', reason: 'a face in 0 of 6 sampled frames' });
  });

  it('cancelling stops the sampling ffmpeg at once (SIGKILL, a retryable FFMPEG_KILLED) and no frame follows', async () => {
    const ac = new AbortController();
    let frames = 0;
    const started = performance.now();
    const outcome = await sampleFrames(
      {
        ffmpegPath: ffmpeg,
        cwd: dir,
        input: 'moving.mp4',
        start: 0,
        duration: 8,
        fps: 4,
        width: 640,
        height: 360,
        threads: 1,
        signal: ac.signal,
      },
      async () => {
        frames++;
        if (frames === 2) ac.abort();
        await new Promise((r) => setTimeout(r, 50));
      },
    ).catch((err: unknown) => err);
    expect(outcome).toMatchObject({ code: 'FFMPEG_KILLED' });
    expect(frames).toBe(2);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await processRunning(join(dir, 'moving.mp4'))).toBe(false);
    expect(await processRunning('moving.mp4')).toBe(false);
  });

  it('a detector that fails to load: the clip falls back to fit_blur with the reason, it does not fail', async () => {
    const r = resolveRenderOptions({});
    expect(r.tracking).toBe('auto');
    const out = await chooseClipReframe({
      r,
      parts: [{ start: 0, end: 8 }],
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'moving.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      sceneCuts: [],
      faceDetector: () => Promise.reject(new FaceDetectorLoadError('the wasm backend refused to start')),
      signal: never,
    });
    expect(out.reframe.mode).toBe('fit_blur');
    expect(out.failure).toBe('the wasm backend refused to start');
    expect(out.note).toBe('reframe: fit_blur (face tracking failed: the wasm backend refused to start)');
  });

  it('a caller who chose a mode gets it: no tracking, nothing sampled', async () => {
    const r = resolveRenderOptions({ mode: 'crop' });
    expect(r.tracking).toBe('off');
    const out = await chooseClipReframe({
      r,
      parts: [{ start: 0, end: 8 }],
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'moving.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      sceneCuts: [],
      faceDetector: () => Promise.reject(new Error('not called')),
      signal: never,
    });
    expect(out).toEqual({ reframe: r.reframe, note: null, failure: null });
    expect(resolveRenderOptions({ aspect: '16:9' }).tracking).toBe('off');
    expect(resolveRenderOptions({ aspect: '16:9', mode: 'track' }).tracking).toBe('requested');
  });
});
