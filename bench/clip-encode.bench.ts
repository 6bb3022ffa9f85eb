import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_FONT_FAMILY } from '@reelforge/contracts';
import { resolveCaptionStyle } from '../services/repurposer/src/captions/ass-document.ts';
import type { Cue } from '../services/repurposer/src/captions/cue.ts';
import { loadFaceDetector } from '../services/repurposer/src/faces/load-detector.ts';
import { planTrack } from '../services/repurposer/src/faces/plan-track.ts';
import { CLOCK_TICKS } from './process-cpu.ts';
import { loadFontCatalog } from '../services/repurposer/src/fonts/font-catalog.ts';
import { titleFilters, type TitleSpec } from '../services/repurposer/src/render/clip-command.ts';
import {
  filterPath,
  runFfmpegRaw,
  shortVideoOutput,
  type FfmpegCommand,
} from '../services/repurposer/src/render/ffmpeg-command.ts';
import { reframeFilter, type ReframeOptions } from '../services/repurposer/src/render/reframe.ts';
import { renderClip, type ClipJob, type RenderedClip } from '../services/repurposer/src/render/render-clip.ts';
import { resolveRenderOptions } from '../services/repurposer/src/render/resolve-options.ts';
import type { BenchResult } from './result.ts';

const run = promisify(execFile);
const SOURCE_SECONDS = 30;
const CLIP = { start: 5, end: 25 };
const CLIP_SECONDS = CLIP.end - CLIP.start;
const ROUNDS = 5;

/** A face photograph shipped in @vladmandic/human (MIT), cut out at run time: nothing stored here. */
function faceImage(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('@vladmandic/human'))), '..', 'assets', 'samples.jpg');
}

/** 30 s of 1080p30 with detail to encode (testsrc2) and a face moving across it, with a varying tone. */
async function makeSource(ffmpeg: string, file: string): Promise<void> {
  await run(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=1920x1080:r=30:d=${SOURCE_SECONDS}`,
    '-loop',
    '1',
    '-i',
    faceImage(),
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='(0.3+0.2*sin(t/3))*sin(2*PI*330*t)':s=48000:d=${SOURCE_SECONDS}`,
    '-filter_complex',
    `[1:v]crop=160:160:160:0,scale=560:560[f];[0:v][f]overlay=x='100+1200*(0.5-0.5*cos(t/${SOURCE_SECONDS}*2*PI))':y=260:shortest=1,format=yuv420p[v]`,
    '-map',
    '[v]',
    '-map',
    '2:a',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-c:a',
    'aac',
    '-b:a',
    '160k',
    '-t',
    String(SOURCE_SECONDS),
    '-f',
    'mp4',
    file,
  ]);
}

/** Captions every 2 s, as a transcript would give. */
const cues: Cue[] = Array.from({ length: SOURCE_SECONDS / 2 }, (_, i) => ({
  start: i * 2,
  end: i * 2 + 1.9,
  text: `caption line number ${i + 1} says something`,
}));

/**
 * SupoClip-style: an intermediate encode of trim + reframe, then a second encode that burns the
 * subtitles, draws the title and normalises loudness (one-pass loudnorm), at the same size, CRF
 * and preset as ours. Same filters as ours (reframe, ASS, drawtext), so only the structure differs.
 */
function twoEncodeCommands(
  reframe: ReframeOptions,
  title: TitleSpec,
  captionsFile: string,
  encode: { crf: number; preset: string; threads: number },
): FfmpegCommand[] {
  const intermediate: FfmpegCommand = {
    inputs: [{ path: 'source', kind: 'video', options: ['-ss', CLIP.start.toFixed(3), '-t', CLIP_SECONDS.toFixed(3)] }],
    filterComplex: `${reframeFilter(reframe, '0:v', 'vr')};[vr]format=yuv420p[vout]`,
    outputOptions: ['-map', '[vout]', '-map', '0:a', ...shortVideoOutput(CLIP_SECONDS, encode)],
    output: 'supoclip-intermediate.mp4',
  };
  const burn: FfmpegCommand = {
    inputs: [{ path: 'supoclip-intermediate.mp4', kind: 'video', options: [] }],
    filterComplex: [
      `[0:v]ass=${filterPath(captionsFile)},${titleFilters(title, reframe.height).join(',')},format=yuv420p[vout]`,
      `[0:a]loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000[aout]`,
    ].join(';'),
    outputOptions: ['-map', '[vout]', '-map', '[aout]', ...shortVideoOutput(CLIP_SECONDS, encode)],
    output: 'supoclip-final.mp4',
  };
  return [intermediate, burn];
}

/**
 * CPU seconds used so far by this process (the detector runs in it) and by its finished children
 * (ffmpeg: Linux adds a child's time to `cutime`/`cstime` in /proc/self/stat once it is waited for).
 * On a shared 2-core machine wall time swings with everyone else's load; CPU time hardly does.
 */
function cpuSeconds(): number {
  const self = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat(5) (cutime, cstime), counted from `state` (field 3), in clock ticks.
  const children = (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  return (self.user + self.system) / 1e6 + children;
}

interface Cost {
  wall: number;
  cpu: number;
}
const timed = async (f: () => Promise<unknown>): Promise<Cost> => {
  const t = performance.now();
  const c = cpuSeconds();
  await f();
  return { wall: (performance.now() - t) / 1000, cpu: cpuSeconds() - c };
};

/**
 * One 20 s clip 1080×1920 (trim + reframe + captions + title + two-pass loudnorm) from a 30 s
 * 1080p source: our single render command (with its audio-only loudness pass) against a
 * SupoClip-style two-encode pipeline; then face tracking's added cost: a `track` clip (frames
 * sampled at 2 fps + BlazeFace, with the loudness pass beside them as in the pipeline, + the render
 * with the crop path) against the same clip in `fit_blur`. Rounds alternate the three; ratios are paired within a round (the machine's other
 * load hits a round's runs alike) and the median round reported.
 */
export async function benchClipEncode(
  ffmpeg: string,
  work: string,
  say: (line: string) => void,
): Promise<BenchResult[]> {
  const dir = join(work, 'clip-encode');
  await mkdir(dir, { recursive: true });
  await makeSource(ffmpeg, join(dir, 'source'));
  const fonts = await loadFontCatalog();
  const fontFile = fonts.fileFor(DEFAULT_FONT_FAMILY, true);
  if (!fontFile) throw new Error(`the font ${DEFAULT_FONT_FAMILY} is not installed`);
  const r = resolveRenderOptions({ mode: 'fit_blur', title: { text: 'Three things nobody tells you' } });
  const job: ClipJob = {
    index: 0,
    parts: [CLIP],
    source: 'source',
    hasAudio: true,
    cues,
    captionStyle: resolveCaptionStyle(undefined, r.reframe),
    titleFontFile: fontFile,
    logoFile: null,
  };
  const ctx = { ffmpegPath: ffmpeg, cwd: dir, threads: 0, signal: new AbortController().signal, onProgress: () => {} };

  // One render through the pipeline's own code gives the exact commands and side files; the timed
  // runs replay them raw (loudness pass + render; the thumbnail is left out on every side).
  const fitBlur: RenderedClip = await renderClip(job, r, ctx);
  const [measure, render] = fitBlur.commands;
  const titleSpec: TitleSpec = {
    ...r.title!,
    lineFiles: fitBlur.sideFiles.filter((f) => f.name.includes('title')).map((f) => f.name),
    fontFile,
    end: Math.min(r.title!.end, CLIP_SECONDS),
  };
  const baseline = twoEncodeCommands(r.reframe, titleSpec, 'clip-00.ass', {
    crf: r.crf,
    preset: r.preset,
    threads: 0,
  });

  const detector = await loadFaceDetector();
  const track = async () => {
    const plan = await planTrack({
      ffmpegPath: ffmpeg,
      cwd: dir,
      source: 'source',
      sourceSize: { width: 1920, height: 1080, rotation: 0 },
      output: r.reframe,
      parts: [CLIP],
      transitionSeconds: r.transitionSeconds,
      sceneCuts: [],
      detector,
      signal: ctx.signal,
    });
    if (plan.kind !== 'track') throw new Error(`the bench source's face was not tracked: ${plan.reason}`);
    return plan;
  };
  const plan = await track();
  const tracked = await renderClip(
    { ...job, index: 1, reframe: { ...r.reframe, mode: 'track', trackPath: plan.keyframes } },
    r,
    ctx,
  );
  const [trackMeasure, trackRender] = tracked.commands;
  say(
    `clip-encode: track path ${plan.keyframes.length} keyframes, a face in ${plan.facesInSamples} of ${plan.samples} samples`,
  );
  for (const f of [...fitBlur.sideFiles, ...tracked.sideFiles]) await writeFile(join(dir, f.name), f.text);

  const ours: Cost[] = [];
  const twoEncodes: Cost[] = [];
  const trackTotal: Cost[] = [];
  const detection: Cost[] = [];
  const sides: (() => Promise<void>)[] = [
    async () => {
      ours.push(
        await timed(async () => {
          await runFfmpegRaw(ffmpeg, measure!, dir);
          await runFfmpegRaw(ffmpeg, render!, dir);
        }),
      );
    },
    async () => {
      twoEncodes.push(
        await timed(async () => {
          for (const cmd of baseline) await runFfmpegRaw(ffmpeg, cmd, dir);
        }),
      );
    },
    async () => {
      let detect: Cost = { wall: 0, cpu: 0 };
      trackTotal.push(
        await timed(async () => {
          // As the pipeline runs a tracked clip: the loudness pass beside sampling and detection.
          [detect] = await Promise.all([timed(track), runFfmpegRaw(ffmpeg, trackMeasure!, dir)]);
          await runFfmpegRaw(ffmpeg, trackRender!, dir);
        }),
      );
      detection.push(detect);
    },
  ];
  for (let i = 0; i < ROUNDS; i++) {
    // Each round starts with a different side, so no side always runs first (or last) in a round.
    for (let k = 0; k < sides.length; k++) await sides[(i + k) % sides.length]!();
    const r = (c: Cost) => `${c.wall.toFixed(2)} s (CPU ${c.cpu.toFixed(2)} s)`;
    say(
      `clip-encode round ${i + 1}: ours ${r(ours[i]!)}, two encodes ${r(twoEncodes[i]!)}, track ${r(trackTotal[i]!)}, of which sampling + detection (the loudness pass beside it) ${r(detection[i]!)}`,
    );
  }
  // Ratios are taken within each round (a round's runs share the machine's load at the time) and
  // their median reported, for wall time and for CPU time; the times shown are medians.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratio = (a: Cost[], b: Cost[], k: keyof Cost) => median(a.map((x, i) => x[k] / b[i]![k]));
  const speedup = { wall: ratio(twoEncodes, ours, 'wall'), cpu: ratio(twoEncodes, ours, 'cpu') };
  const added = { wall: ratio(trackTotal, ours, 'wall') - 1, cpu: ratio(trackTotal, ours, 'cpu') - 1 };
  const detectShare = { wall: ratio(detection, ours, 'wall'), cpu: ratio(detection, ours, 'cpu') };
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  say(
    `clip-encode: single command ${speedup.wall.toFixed(2)}× faster than two encodes in wall time, ${speedup.cpu.toFixed(2)}× in CPU time (target ≥ 1.8×); tracking adds ${pct(added.wall)} wall / ${pct(added.cpu)} CPU to the clip (target ≤ 20 %), sampling + detection alone ${pct(detectShare.wall)} wall / ${pct(detectShare.cpu)} CPU (medians of ${ROUNDS} paired rounds)`,
  );
  const wall = (xs: Cost[]) => median(xs.map((x) => x.wall));
  const cpu = (xs: Cost[]) => median(xs.map((x) => x.cpu));
  return [
    {
      name: `clip ${CLIP_SECONDS} s 1080×1920 (trim+reframe+captions+title+loudnorm), wall`,
      unit: 's',
      ours: wall(ours),
      baseline: wall(twoEncodes),
      baselineName: 'SupoClip-style two encodes (intermediate + subtitle burn)',
      higherIsBetter: false,
      decimals: 2,
      notes: `medians; paired per round, single command ${speedup.wall.toFixed(2)}× faster (loudness pass included on our side)`,
    },
    {
      name: `clip ${CLIP_SECONDS} s 1080×1920 (trim+reframe+captions+title+loudnorm), CPU`,
      unit: 'CPU s',
      ours: cpu(ours),
      baseline: cpu(twoEncodes),
      baselineName: 'SupoClip-style two encodes (intermediate + subtitle burn)',
      higherIsBetter: false,
      decimals: 2,
      notes: `medians; paired per round, single command ${speedup.cpu.toFixed(2)}× less CPU`,
    },
    {
      name: `clip ${CLIP_SECONDS} s, reframe track (2 fps sampling + BlazeFace), wall`,
      unit: 's',
      ours: wall(trackTotal),
      baseline: wall(ours),
      baselineName: 'the same clip in fit_blur',
      higherIsBetter: false,
      decimals: 2,
      notes: `medians; paired per round tracking adds ${pct(added.wall)}; sampling + detection ${pct(detectShare.wall)} of the fit_blur clip`,
    },
    {
      name: `clip ${CLIP_SECONDS} s, reframe track (2 fps sampling + BlazeFace), CPU`,
      unit: 'CPU s',
      ours: cpu(trackTotal),
      baseline: cpu(ours),
      baselineName: 'the same clip in fit_blur',
      higherIsBetter: false,
      decimals: 2,
      notes: `medians; paired per round tracking adds ${pct(added.cpu)}; sampling + detection ${pct(detectShare.cpu)} of the fit_blur clip`,
    },
  ];
}
