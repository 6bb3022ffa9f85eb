/**
 * The face detector's thread: BlazeFace and the face mesh (tfjs wasm) load and run here, so a
 * frame's ~60 ms of inference never holds the service's event loop. It loads once, says `ready`
 * (or `load-failed`, then waits to be terminated), and answers one frame at a time, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DetectorMessage, DetectorRequest } from './detector-protocol.ts';
import type { FaceDetector } from './face.ts';
import { createHumanDetector, type DetectorOptions } from './human-detector.ts';

const port = parentPort!;
const post = (m: DetectorMessage) => port.postMessage(m);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let detector: FaceDetector | null = null;
try {
  detector = await createHumanDetector(workerData as DetectorOptions);
  post({ kind: 'ready' });
} catch (err) {
  post({ kind: 'load-failed', error: message(err) });
}

// human keeps per-call state (its config, the input tensor): one frame at a time.
let queue: Promise<void> = Promise.resolve();
port.on('message', (r: DetectorRequest) => {
  queue = queue.then(async () => {
    if (!detector) {
      post({ kind: 'error', id: r.id, error: 'the face detector is not loaded' });
      return;
    }
    const frame = { width: r.width, height: r.height, data: new Uint8Array(r.data) };
    try {
      const faces = r.op === 'detect' ? await detector.detect(frame) : await detector.mouths(frame);
      post({ kind: 'result', id: r.id, faces });
    } catch (err) {
      post({ kind: 'error', id: r.id, error: message(err) });
    }
  });
});
