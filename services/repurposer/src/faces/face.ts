/** One decoded frame: `width × height` pixels, 3 bytes each (RGB), rows top to bottom. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A face found in a frame, in that frame's pixels. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The detector's confidence, 0..1. */
  score: number;
}

/** A face with how open its mouth is (mouth-openness.ts), in that frame's pixels. */
export interface MouthFace {
  box: FaceBox;
  openness: number;
}

/**
 * Finds faces in one frame. The pipeline gets one from `loadFaceDetector`; tests may pass their own.
 * That one moves a frame's buffer to its thread when `data` spans all of it: the caller must not
 * read a frame after handing it over.
 */
export interface FaceDetector {
  /** Face boxes only (BlazeFace): every sampled frame. */
  detect(frame: RgbFrame): Promise<FaceBox[]>;
  /** Faces and their mouths (BlazeFace, then the face mesh on each face: slower): only where a shot has several faces. */
  mouths(frame: RgbFrame): Promise<MouthFace[]>;
}

/** The faces found in the frame at `t` (seconds from the start of the sampled span). */
export interface FaceSample {
  t: number;
  faces: FaceBox[];
}

/** The detector could not be loaded (missing package files, wasm refused, bad model): tracking falls back. */
export class FaceDetectorLoadError extends Error {
  override readonly name = 'FaceDetectorLoadError';
}

/** Frame sampling for tracking failed (ffmpeg failed or the stream was not what it should be). */
export class FrameSamplingError extends Error {
  override readonly name = 'FrameSamplingError';
}
