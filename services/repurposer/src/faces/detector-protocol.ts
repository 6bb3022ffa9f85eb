import type { FaceBox, MouthFace } from './face.ts';

/** One frame for the detector worker: its pixels travel as a transferred ArrayBuffer (moved, not copied). */
export interface DetectorRequest {
  id: number;
  op: 'detect' | 'mouths';
  width: number;
  height: number;
  data: ArrayBuffer;
}

/** The worker's messages: once `ready` or `load-failed`, then one `result` or `error` per request. */
export type DetectorMessage =
  | { kind: 'ready' }
  | { kind: 'load-failed'; error: string }
  | { kind: 'result'; id: number; faces: FaceBox[] | MouthFace[] }
  | { kind: 'error'; id: number; error: string };
