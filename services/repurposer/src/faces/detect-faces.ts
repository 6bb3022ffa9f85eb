import type { FaceDetector, FaceSample } from './face.ts';
import { sampleFrames, type SampleFramesOptions } from './sample-frames.ts';

/**
 * Faces in a span of the source: frames sampled by ffmpeg and run through the detector as they
 * arrive (decode and detection overlap: ffmpeg decodes the next frame while the detector works).
 * Boxes are fractions of the frame (0..1); `t` is seconds of the source, and so are the scene cuts
 * found in the same decode when `o.sceneThreshold` asks for them.
 */
export async function detectFaces(
  o: SampleFramesOptions,
  detector: FaceDetector,
): Promise<{ samples: FaceSample[]; sceneCuts: number[] }> {
  const samples: FaceSample[] = [];
  const sceneCuts: number[] = [];
  await sampleFrames(
    o,
    async (frame, t) => {
      const faces = await detector.detect(frame);
      samples.push({
        t: o.start + t,
        faces: faces.map((f) => ({
          x: f.x / frame.width,
          y: f.y / frame.height,
          width: f.width / frame.width,
          height: f.height / frame.height,
          score: f.score,
        })),
      });
    },
    (t) => sceneCuts.push(o.start + t),
  );
  return { samples, sceneCuts };
}
