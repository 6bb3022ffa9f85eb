import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
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

/**
 * A close-up portrait of a man and one of a woman (MIT-licensed @vladmandic/human:
 * assets/screenshot-facedetect.jpg, the row of detected faces), big enough for the face mesh to read
 * the lips. `mouth`: the man's inner lips (centre and radii as fractions of the crop), where the
 * speaking video paints his mouth open.
 */
const PORTRAITS = {
  man: '148:148:12:345',
  woman: '146:148:166:345',
  mouth: { x: 0.536, y: 0.656, rx: 0.067, ry: 0.022 },
} as const;

export function portraitsImage(): string {
  const nodeBuild = fileURLToPath(import.meta.resolve('@vladmandic/human'));
  return join(dirname(nodeBuild), '..', 'assets', 'screenshot-facedetect.jpg');
}

/** When the voice sounds (and the speaking mouth is open), seconds: irregular, so nothing else lines up with it. */
export const BURSTS: readonly (readonly [number, number])[] = [
  [0.5, 1.5],
  [2, 2.5],
  [3, 4.25],
  [5, 5.5],
  [6, 7.25],
];
const during = (spans: readonly (readonly [number, number])[]) =>
  spans.map(([a, b]) => `between(t\\,${a}\\,${b})`).join('+');

export interface TwoFaceVideo {
  /** The man's portrait's size (px, square), left edge 80 px from the left. */
  manSize: number;
  /** The woman's portrait's size, right edge 80 px from the right. */
  womanSize: number;
  /** Whether the man's mouth opens with the voice (false: both faces still, the voice still sounds). */
  manSpeaks: boolean;
  /** The voice: a WAV and when it sounds (the mouth's open spans); default: a tone in BURSTS. */
  speech?: { wav: string; spans: readonly (readonly [number, number])[] };
}

/** Where each portrait sits in the two-face video (left edge and size, px). */
export const twoFaceLayout = (v: TwoFaceVideo) => ({
  man: { x: 80, size: v.manSize },
  woman: { x: FRAME.width - 80 - v.womanSize, size: v.womanSize },
});

/**
 * 8 s, 1280×720, one shot: the man left, the woman right, a voice (a 220 Hz tone in BURSTS, or
 * `speech`). When the man speaks, a dark ellipse over his lips (an open mouth, which the face mesh
 * reads as a 4–6 % lip gap against ≈ 0.5 % closed) shows exactly while the voice sounds.
 */
export async function makeTwoFaceVideo(ffmpeg: string, out: string, v: TwoFaceVideo): Promise<void> {
  const { man, woman } = twoFaceLayout(v);
  const spans = v.speech?.spans ?? BURSTS;
  const m = PORTRAITS.mouth;
  const inMouth = `lte(pow((X-W*${m.x})/(W*${m.rx})\\,2)+pow((Y-H*${m.y})/(H*${m.ry})\\,2)\\,1)`;
  const open = v.manSpeaks
    ? `,format=rgb24,geq=r='if(${inMouth}\\,30\\,r(X\\,Y))':g='if(${inMouth}\\,10\\,g(X\\,Y))':b='if(${inMouth}\\,10\\,b(X\\,Y))':enable='${during(spans)}'`
    : '';
  await ffmpegRun(ffmpeg, [
    '-f',
    'lavfi',
    '-i',
    `color=c=0x404850:s=${FRAME.width}x${FRAME.height}:r=25:d=8`,
    '-loop',
    '1',
    '-framerate',
    '25',
    '-i',
    portraitsImage(),
    ...(v.speech
      ? ['-i', v.speech.wav]
      : ['-f', 'lavfi', '-i', `aevalsrc='0.4*sin(2*PI*220*t)*(${during(BURSTS)})':s=48000:d=8`]),
    '-filter_complex',
    [
      `[1:v]split=2[a][b]`,
      `[a]crop=${PORTRAITS.man},scale=${man.size}:${man.size}${open}[m]`,
      `[b]crop=${PORTRAITS.woman},scale=${woman.size}:${woman.size}[w]`,
      `[0:v][m]overlay=x=${man.x}:y=${(FRAME.height - man.size) / 2}:shortest=1[s]`,
      `[s][w]overlay=x=${woman.x}:y=${(FRAME.height - woman.size) / 2}:shortest=1,format=yuv420p[v]`,
    ].join(';'),
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

/**
 * Speech by espeak-ng (its own voice, no recording stored) and the spans where it sounds: ffmpeg's
 * silencedetect (−30 dB, 0.1 s) on it, so a painted mouth can open exactly while the voice sounds.
 */
export async function espeakSpeech(
  espeak: string,
  ffmpeg: string,
  wav: string,
  text: string,
): Promise<{ wav: string; spans: [number, number][] }> {
  await promisify(execFile)(espeak, ['-s', '150', '-w', wav, text]);
  const { stderr } = await promisify(execFile)(ffmpeg, [
    '-hide_banner',
    '-nostats',
    '-i',
    wav,
    '-af',
    'silencedetect=noise=-30dB:d=0.1',
    '-f',
    'null',
    '-',
  ]);
  const starts = [...stderr.matchAll(/silence_start: (-?[\d.]+)/g)].map((m) => Number(m[1]));
  const ends = [...stderr.matchAll(/silence_end: (-?[\d.]+)/g)].map((m) => Number(m[1]));
  // Voiced: from the start (or a silence's end) to the next silence's start.
  const spans: [number, number][] = [];
  let from = 0;
  for (const [i, start] of starts.entries()) {
    if (start > from) spans.push([from, start]);
    from = ends[i] ?? Infinity;
  }
  if (Number.isFinite(from)) spans.push([from, 60]);
  return { wav, spans };
}
