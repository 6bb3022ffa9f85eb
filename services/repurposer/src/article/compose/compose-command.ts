import { titleFilters, type TitleSpec } from '../../render/clip-command.ts';
import { filterPath, shortVideoOutput, type FfmpegCommand } from '../../render/ffmpeg-command.ts';
import { narrationInput } from '../../speech/normalize-audio.ts';

export interface ComposeScene {
  /** How long the scene is on screen: its narration's length, pause included. */
  seconds: number;
  /** An image (relative to ffmpeg's cwd) shown with a slow zoom, or null for a generated background. */
  image: string | null;
}

export interface ComposeSpec {
  scenes: ComposeScene[];
  /** One WAV with every scene's narration back to back (written by the speech stage; opened through the wav demuxer only). */
  narration: string;
  size: { width: number; height: number };
  fps: number;
  /** Crossfade between scenes (shortened for short scenes). */
  transitionSeconds: number;
  fadeSeconds: number;
  /** An ASS file (relative to cwd) with the narration's captions, or null. */
  captionsFile: string | null;
  /** Background music (relative to cwd), looped, at `volume`, ducked while the voice speaks; or null. */
  music: { file: string; volume: number } | null;
  /** The title card: drawn over the first scene. */
  title: TitleSpec | null;
  targetLufs: number;
  encode: { crf: number; preset: string; threads: number };
  output: string;
}

const s3 = (n: number) => n.toFixed(3);
const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
/** Backgrounds for scenes without an image: calm two-colour gradients, one per scene in turn. */
const GRADIENTS: readonly [string, string][] = [
  ['0x0f172a', '0x1d4ed8'],
  ['0x1e1b4b', '0x7c3aed'],
  ['0x052e16', '0x0f766e'],
  ['0x3f1d0b', '0xc2410c'],
];
/** How far the slow zoom goes over a scene (12 %): enough to feel alive, too slow to distract. */
const ZOOM = 0.12;

/** The crossfade used: at most a third of the shortest scene, so no scene is mostly transition. */
export function sceneTransition(scenes: ComposeScene[], seconds: number): number {
  if (scenes.length < 2) return 0;
  return Math.min(seconds, Math.min(...scenes.map((s) => s.seconds)) / 3);
}

export const composedSeconds = (scenes: ComposeScene[]): number => scenes.reduce((sum, s) => sum + s.seconds, 0);

/**
 * One scene's picture, `length` seconds of it. An image is cropped to cover the frame with some room
 * and zoomed slowly from one still frame (zoompan makes every frame: no looped input to decode); the
 * direction alternates so consecutive scenes do not move alike. A scene without an image gets a
 * drifting gradient.
 */
function sceneVideo(
  index: number,
  scene: ComposeScene,
  length: number,
  spec: ComposeSpec,
): { input: FfmpegCommand['inputs'][number]; filter: string } {
  const { width: w, height: h } = spec.size;
  const frames = Math.max(1, Math.round(length * spec.fps));
  const label = `[${index}:v]`;
  const tail = `setsar=1,format=yuv420p,settb=AVTB,setpts=PTS-STARTPTS[s${index}]`;
  if (scene.image) {
    const cw = even(w * (1 + ZOOM));
    const ch = even(h * (1 + ZOOM));
    const zoom = index % 2 === 0 ? `1+${ZOOM}*on/${frames}` : `${1 + ZOOM}-${ZOOM}*on/${frames}`;
    return {
      input: { path: scene.image, kind: 'image', options: [] },
      filter:
        `${label}scale=${cw}:${ch}:force_original_aspect_ratio=increase,crop=${cw}:${ch},` +
        `zoompan=z='${zoom}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=${frames}:s=${w}x${h}:fps=${spec.fps},${tail}`,
    };
  }
  const [c0, c1] = GRADIENTS[index % GRADIENTS.length]!;
  return {
    input: {
      path: `gradients=s=${w}x${h}:r=${spec.fps}:d=${s3(length)}:c0=${c0}:c1=${c1}:x0=0:y0=0:x1=${w}:y1=${h}:speed=0.004`,
      kind: 'generated',
      options: ['-f', 'lavfi'],
    },
    filter: `${label}${tail}`,
  };
}

/**
 * The article video as one ffmpeg command: each scene's picture (Ken Burns on an image, or a
 * gradient), crossfaded at the scene boundaries, captions (ASS) and the title card burned in, faded
 * in and out; the narration (with the music ducked under it, when there is music) loudness-normalised;
 * H.264 + AAC with `+faststart`. Scene k's picture
 * runs a transition longer than its narration so the crossfade into k+1 starts exactly where k+1's
 * narration does, and the video is exactly as long as the narration. Pure.
 */
export function buildComposeCommand(spec: ComposeSpec): FfmpegCommand {
  const { scenes } = spec;
  if (scenes.length === 0) throw new RangeError('an article video needs at least one scene');
  const t = sceneTransition(scenes, spec.transitionSeconds);
  const total = composedSeconds(scenes);
  const inputs: FfmpegCommand['inputs'] = [];
  const graph: string[] = [];
  scenes.forEach((scene, i) => {
    const { input, filter } = sceneVideo(i, scene, scene.seconds + (i < scenes.length - 1 ? t : 0), spec);
    inputs.push(input);
    graph.push(filter);
  });

  let joined = 's0';
  let offset = 0;
  for (let i = 1; i < scenes.length; i++) {
    offset += scenes[i - 1]!.seconds;
    const out = `x${i}`;
    graph.push(`[${joined}][s${i}]xfade=transition=fade:duration=${s3(t)}:offset=${s3(offset)}[${out}]`);
    joined = out;
  }

  const chain: string[] = [];
  if (spec.fadeSeconds > 0) {
    const f = Math.min(spec.fadeSeconds, total / 4);
    chain.push(`fade=t=in:st=0:d=${s3(f)}`, `fade=t=out:st=${s3(total - f)}:d=${s3(f)}`);
  }
  if (spec.captionsFile) chain.push(`ass=${filterPath(spec.captionsFile)}`);
  if (spec.title) chain.push(...titleFilters(spec.title, spec.size.height));
  chain.push('format=yuv420p');
  graph.push(`[${joined}]${chain.join(',')}[vout]`);

  const narration = inputs.length;
  inputs.push(narrationInput(spec.narration));
  const audio = [`loudnorm=I=${spec.targetLufs}:TP=-1.5:LRA=11`, 'aresample=48000'];
  if (spec.fadeSeconds > 0) {
    const f = Math.min(spec.fadeSeconds, total / 4);
    audio.push(`afade=t=in:st=0:d=${s3(f)}`, `afade=t=out:st=${s3(total - f)}:d=${s3(f)}`);
  }
  const stereo = 'aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo';
  if (spec.music) {
    const music = inputs.length;
    // Looped for as long as the narration lasts; the voice keys a compressor that pulls the music down while it speaks.
    inputs.push({ path: spec.music.file, kind: 'audio', options: ['-stream_loop', '-1'] });
    graph.push(`[${narration}:a]${stereo},asplit=2[voice][key]`);
    graph.push(`[${music}:a]${stereo},volume=${spec.music.volume}[bed]`);
    graph.push('[bed][key]sidechaincompress=threshold=0.02:ratio=12:attack=20:release=400[ducked]');
    graph.push(`[voice][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,${audio.join(',')}[aout]`);
  } else {
    graph.push(`[${narration}:a]${stereo},${audio.join(',')}[aout]`);
  }

  return {
    inputs,
    filterComplex: graph.join(';'),
    outputOptions: [
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-r',
      String(spec.fps),
      ...shortVideoOutput(total, spec.encode),
    ],
    output: spec.output,
  };
}
