import { Worker } from 'node:worker_threads';
import type { DetectorMessage, DetectorRequest } from './detector-protocol.ts';
import { FaceDetectorLoadError, type FaceBox, type FaceDetector, type MouthFace, type RgbFrame } from './face.ts';
import type { DetectorOptions } from './human-detector.ts';

const WORKER = new URL('./detector-worker.ts', import.meta.url);

/** A detector running in its own thread; `close` terminates the thread (pending frames reject). */
export interface WorkerFaceDetector extends FaceDetector {
  close(): Promise<void>;
}

export interface DetectorWorkerOptions {
  /** The worker's module; default detector-worker.ts (tests pass one that fails). */
  workerUrl?: URL;
  detector?: DetectorOptions;
  /** Called once when the thread is gone (crashed, or closed). */
  onExit?: () => void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The frame's bytes as an ArrayBuffer the worker can take: its own buffer when the view covers all
 * of it (moved, and unusable here afterwards), else one copy (a frame cut from ffmpeg's pipe chunk).
 */
function transferable(data: Uint8Array): ArrayBuffer {
  const { buffer } = data;
  if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
  return data.slice().buffer;
}

/**
 * Starts a detector thread and resolves once its models are loaded. A load that fails, or a thread
 * that dies while loading, rejects with a FaceDetectorLoadError carrying why; a thread that dies
 * later rejects the frames in flight. The thread holds the process open only while it loads and
 * while frames are in flight.
 */
export function startDetectorWorker(o: DetectorWorkerOptions = {}): Promise<WorkerFaceDetector> {
  // Referenced while loading (the caller awaits it), then only while frames are in flight.
  const worker = new Worker(o.workerUrl ?? WORKER, { workerData: o.detector ?? {} });
  const pending = new Map<number, { resolve: (faces: FaceBox[] | MouthFace[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let gone: Error | null = null;

  const send = (op: DetectorRequest['op'], frame: RgbFrame) =>
    new Promise<FaceBox[] | MouthFace[]>((resolve, reject) => {
      if (gone) {
        reject(gone);
        return;
      }
      if (frame.data.length !== frame.width * frame.height * 3) {
        reject(
          new RangeError(`a ${frame.width}×${frame.height} RGB frame needs ${frame.width * frame.height * 3} bytes`),
        );
        return;
      }
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      const data = transferable(frame.data);
      const request: DetectorRequest = { id, op, width: frame.width, height: frame.height, data };
      worker.postMessage(request, [data]);
    });
  const settle = (
    id: number,
    fn: (p: { resolve: (f: FaceBox[] | MouthFace[]) => void; reject: (e: Error) => void }) => void,
  ) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    fn(p);
  };

  return new Promise((resolve, reject) => {
    let loaded = false;
    const fail = (why: string) => {
      if (gone) return;
      gone = new Error(`the face detector's thread stopped: ${why}`);
      for (const id of [...pending.keys()]) settle(id, (p) => p.reject(gone!));
      if (!loaded) reject(new FaceDetectorLoadError(`the face detector did not load: ${why}`));
      o.onExit?.();
    };
    worker.on('message', (m: DetectorMessage) => {
      if (m.kind === 'ready') {
        loaded = true;
        if (pending.size === 0) worker.unref();
        resolve({
          detect: (frame) => send('detect', frame) as Promise<FaceBox[]>,
          mouths: (frame) => send('mouths', frame) as Promise<MouthFace[]>,
          close: async () => {
            fail('closed');
            await worker.terminate();
          },
        });
      } else if (m.kind === 'load-failed') {
        fail(m.error);
        void worker.terminate();
      } else if (m.kind === 'result') settle(m.id, (p) => p.resolve(m.faces));
      else settle(m.id, (p) => p.reject(new Error(m.error)));
    });
    worker.on('error', (err) => fail(message(err)));
    worker.on('exit', (code) => fail(`exit code ${code}`));
  });
}

let shared: Promise<WorkerFaceDetector> | null = null;

/**
 * The process's face detector: one thread, started on first use and then shared (BlazeFace and the
 * face mesh on tfjs's wasm backend, ~2 MB of weights from `@vladmandic/human`'s `models/`; nothing
 * is downloaded). A failed load, or a thread that died, is not remembered: the next task starts a
 * new one.
 */
export function loadFaceDetector(): Promise<FaceDetector> {
  if (!shared) {
    const current: Promise<WorkerFaceDetector> = startDetectorWorker({
      onExit: () => {
        if (shared === current) shared = null;
      },
    }).catch((err: unknown) => {
      if (shared === current) shared = null;
      throw err;
    });
    shared = current;
  }
  return shared;
}

/** Stops the shared detector's thread, if one was started (the service's shutdown). */
export async function closeFaceDetector(): Promise<void> {
  const current = shared;
  shared = null;
  if (!current) return;
  const detector = await current.catch(() => null);
  await detector?.close();
}
