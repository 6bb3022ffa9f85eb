import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ffmpegRun } from './pipeline-harness.ts';

/**
 * A real photograph with faces, shipped inside an installed npm package (MIT-licensed
 * @vladmandic/human: assets/samples.jpg, 1280×1158, a gallery of its demo pictures). The tests cut
 * single faces out of it at run time; no image is stored in this repository.
 */
export function sampleFacesImage(): string {
  const nodeBuild = fileURLToPath(import.meta.resolve('@vladmandic/human'));
  return join(dirname(nodeBuild), '..', 'assets', 'samples.jpg');
}

/** Crops of samples.jpg holding one face each (x, y, w, h in its pixels). */
const FACES = {
  /** A woman facing the camera, her face a little right of the crop's centre. */
  woman: '160:160:160:0',
  /** A man at a table. */
  man: '212:160:324:0',
} as const;

export const FRAME = { width: 1280, height: 720 };
/** The face picture's size in the video: big enough for BlazeFace once sampled 640 wide. */
export const FACE_SIZE = 400;
const FACE_Y = 160;

/** Where the face picture's left edge is at `t` in the moving video (the overlay's own expression). */
export const movingFaceX = (t: number) => 40 + (Math.min(t, 6) / 6) * 800;

/**
 * 8 s at 25 fps, 1280×720 grey, with a sine tone: the face picture moves left → right over the
 * first 6 s (x = 40 + min(t,6)/6·800), then stays.
 */
export async function makeMovingFaceVideo(ffmpeg: string, out: string): Promise<void> {
  await ffmpegRun(ffmpeg, [
    '-f',
    'lavfi',
    '-i',
    `color=c=0x404850:s=${FRAME.width}x${FRAME.height}:r=25:d=8`,
    '-loop',
    '1',
    '-i',
    sampleFacesImage(),
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=220:sample_rate=48000:duration=8',
    '-filter_complex',
    `[1:v]crop=${FACES.woman},scale=${FACE_SIZE}:${FACE_SIZE}[f];[0:v][f]overlay=x='40+min(t\\,6)/6*800':y=${FACE_Y},format=yuv420p[v]`,
    '-map',
    '[v]',
    '-map',
    '2:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-t',
    '8',
    out,
  ]);
}

/** Where each shot's face picture sits (left edge) in the two-shot video. */
export const TWO_SHOTS = { cut: 4, firstX: 80, secondX: 740 } as const;

/**
 * 8 s, two shots with a hard cut at 4 s: the woman still on the left, then the man still on the
 * right, on different backgrounds (so the analysis pass's scene detector sees the cut).
 */
export async function makeTwoShotVideo(ffmpeg: string, out: string): Promise<void> {
  const { cut, firstX, secondX } = TWO_SHOTS;
  await ffmpegRun(ffmpeg, [
    '-f',
    'lavfi',
    '-i',
    `color=c=0x404850:s=${FRAME.width}x${FRAME.height}:r=25:d=${cut}`,
    '-f',
    'lavfi',
    '-i',
    `color=c=0xc0a070:s=${FRAME.width}x${FRAME.height}:r=25:d=${8 - cut}`,
    '-i',
    sampleFacesImage(),
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=220:sample_rate=48000:duration=8',
    '-filter_complex',
    [
      `[2:v]split=2[a][b]`,
      `[a]crop=${FACES.woman},scale=${FACE_SIZE}:${FACE_SIZE}[fa]`,
      `[b]crop=${FACES.man},scale=${Math.round((FACE_SIZE * 212) / 160 / 2) * 2}:${FACE_SIZE}[fb]`,
      `[0:v][fa]overlay=x=${firstX}:y=${FACE_Y}[s1]`,
      `[1:v][fb]overlay=x=${secondX}:y=${FACE_Y}[s2]`,
      `[s1][s2]concat=n=2:v=1:a=0,format=yuv420p[v]`,
    ].join(';'),
    '-map',
    '[v]',
    '-map',
    '3:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-t',
    '8',
    out,
  ]);
}
