import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chooseClipReframe } from '../../src/faces/clip-reframe.ts';
import { FaceDetectorLoadError, type FaceDetector } from '../../src/faces/face.ts';
import { closeFaceDetector, loadFaceDetector, startDetectorWorker } from '../../src/faces/load-detector.ts';
import { planTrack } from '../../src/faces/plan-track.ts';
import { resolveRenderOptions } from '../../src/render/resolve-options.ts';
import { FRAME, makeMovingFaceVideo, makeTwoFaceVideo } from '../support/face-video.ts';
import { frameAt } from '../support/pipeline-harness.ts';

// The event loop while a two-face clip is tracked (BlazeFace on 16 frames, then the mesh on 32),
// on the 2-core development machine at load average 7–8. The same work on the service's own thread
// kept the loop busy 92–94 % of the time (event-loop utilization), with delays of 29–47 ms mean and
// 79–251 ms p99; through the worker: 14–22 % busy (moving frames, reading the pipes), 6–7 ms mean
// (the 5 ms timer's floor), 18–56 ms p99. The bounds leave room for a busy machine, not for
// detection on the loop.
const P99_BOUND_MS = 100;
const MEAN_BOUND_MS = 15;
const BUSY_BOUND = 0.5;

describe('the face detector in its own thread', () => {
  const ffmpeg = inject('ffmpegPath');
  const never = new AbortController().signal;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-detector-worker-'));
    await makeMovingFaceVideo(ffmpeg, join(dir, 'moving.mp4'));
    await makeTwoFaceVideo(ffmpeg, join(dir, 'two-faces.mp4'), { manSize: 300, womanSize: 420, manSpeaks: true });
  });
  afterAll(async () => {
    await closeFaceDetector();
    await rm(dir, { recursive: true, force: true });
  });

  const plan = (detector: FaceDetector, signal = never, source = 'moving.mp4') =>
    planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source,
      sourceSize: { ...FRAME, rotation: 0 },
      output: { width: 1080, height: 1920 },
      parts: [{ start: 0, end: 8 }],
      transitionSeconds: 0.5,
      sceneCuts: [],
      detector,
      signal,
    });

  it(`the main event loop stays responsive while a clip's faces and mouths are detected: busy under ${BUSY_BOUND * 100} % of the time, delay p99 under ${P99_BOUND_MS} ms, mean under ${MEAN_BOUND_MS} ms`, async () => {
    const detector = await loadFaceDetector();
    await plan(detector, never, 'two-faces.mp4'); // warm: the first frames compile the wasm kernels
    const h = monitorEventLoopDelay({ resolution: 5 });
    const before = performance.eventLoopUtilization();
    h.enable();
    const p = await plan(detector, never, 'two-faces.mp4');
    h.disable();
    const busy = performance.eventLoopUtilization(before).utilization;
    expect(p).toMatchObject({ kind: 'track', speakerShots: 1 });
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    console.info(
      `event loop while tracking two faces through the worker: busy ${(busy * 100).toFixed(0)} %, delay mean ${ms(h.mean)} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms`,
    );
    expect(busy).toBeLessThan(BUSY_BOUND);
    expect(h.percentile(99) / 1e6).toBeLessThan(P99_BOUND_MS);
    expect(h.mean / 1e6).toBeLessThan(MEAN_BOUND_MS);
  });

  it('a whole frame buffer is moved to the thread (transferred, detached here); a view into a larger buffer is copied once', async () => {
    const detector = await loadFaceDetector();
    const frame = new Uint8Array(await frameAt(ffmpeg, join(dir, 'moving.mp4'), 1));
    expect(frame.buffer.byteLength).toBe(1280 * 720 * 3);
    expect(await detector.detect({ width: 1280, height: 720, data: frame })).toHaveLength(1);
    expect(frame.buffer.byteLength).toBe(0);
    const again = new Uint8Array(await frameAt(ffmpeg, join(dir, 'moving.mp4'), 1));
    const bigger = new Uint8Array(again.length + 16);
    bigger.set(again, 16);
    const view = bigger.subarray(16);
    expect(await detector.detect({ width: 1280, height: 720, data: view })).toHaveLength(1);
    expect(bigger.buffer.byteLength).toBe(again.length + 16);
  });

  it('a cancel stops sampling promptly while frames are in the thread (a retryable FFMPEG_KILLED)', async () => {
    const inner = await loadFaceDetector();
    const ac = new AbortController();
    let frames = 0;
    const counting: FaceDetector = {
      detect: async (frame) => {
        if (++frames === 3) ac.abort();
        return inner.detect(frame);
      },
      mouths: (frame) => inner.mouths(frame),
    };
    const started = performance.now();
    const outcome = await plan(counting, ac.signal).catch((err: unknown) => err);
    expect(outcome).toMatchObject({ code: 'FFMPEG_KILLED' });
    expect(frames).toBe(3);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('closing (the service shutdown) terminates the thread: frames then reject, and the next load starts a new one', async () => {
    const first = await loadFaceDetector();
    await closeFaceDetector();
    const frame = new Uint8Array(await frameAt(ffmpeg, join(dir, 'moving.mp4'), 1));
    await expect(first.detect({ width: 1280, height: 720, data: frame })).rejects.toThrow(
      "the face detector's thread stopped: closed",
    );
    const second = await loadFaceDetector();
    expect(second).not.toBe(first);
    const again = new Uint8Array(await frameAt(ffmpeg, join(dir, 'moving.mp4'), 1));
    expect(await second.detect({ width: 1280, height: 720, data: again })).toHaveLength(1);
  });

  const fallback = (faceDetector: () => Promise<FaceDetector>) =>
    chooseClipReframe({
      r: resolveRenderOptions({ mode: 'track' }),
      parts: [{ start: 0, end: 8 }],
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'moving.mp4',
      sourceSize: { ...FRAME, rotation: 0 },
      sceneCuts: [],
      faceDetector,
      signal: never,
    });

  it('a thread that stops in the middle of a clip: the frames in flight reject, the clip falls back to fit_blur saying why, and the next load starts a new thread', async () => {
    const dying = await startDetectorWorker();
    let frames = 0;
    const out = await fallback(() =>
      Promise.resolve<FaceDetector>({
        detect: (frame) => {
          const found = dying.detect(frame);
          if (++frames === 3) void dying.close();
          return found;
        },
        mouths: (frame) => dying.mouths(frame),
      }),
    );
    expect(out.reframe.mode).toBe('fit_blur');
    expect(out.failure).toBe("the face detector's thread stopped: closed");
    expect(frames).toBe(3);
  });

  it("models that do not load in the thread: a FaceDetectorLoadError with the loader's reason, and the clip falls back to fit_blur saying why", async () => {
    const missing = `${pathToFileURL(join(dir, 'no-models')).href}/`;
    const start = () => startDetectorWorker({ detector: { modelBasePath: missing } });
    const err = await start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FaceDetectorLoadError);
    expect((err as Error).message).toMatch(/^the face detector did not load: .*no-models/);
    const out = await fallback(start);
    expect(out.reframe.mode).toBe('fit_blur');
    expect(out.note).toMatch(/^reframe: fit_blur \(face tracking failed: the face detector did not load: .*\)$/);
  });

  it('a thread that crashes while loading: the same fallback, with the crash as the reason', async () => {
    const start = () =>
      startDetectorWorker({ workerUrl: new URL('../support/crashing-detector-worker.ts', import.meta.url) });
    const out = await fallback(start);
    expect(out.reframe.mode).toBe('fit_blur');
    expect(out.failure).toBe('the face detector did not load: the detector thread crashed while loading');
  });
});
