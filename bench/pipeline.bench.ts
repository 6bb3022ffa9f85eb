import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeEnvelope, uuidv7, type RenderJobRequested, type RenderOptions } from '@reelforge/contracts';
import { createLocalMediaStore } from '@reelforge/media-store';
import { buildSignalsCommand } from '../services/repurposer/src/analysis/measure-signals.ts';
import { createSuppliedCaptionsTranscriber } from '../services/repurposer/src/captions/transcriber.ts';
import { loadFontCatalog } from '../services/repurposer/src/fonts/font-catalog.ts';
import { renderTask, type PipelineDeps } from '../services/repurposer/src/pipeline/render-task.ts';
import { runFfmpegRaw, type FfmpegCommand } from '../services/repurposer/src/render/ffmpeg-command.ts';
import type { BenchResult } from './result.ts';

const run = promisify(execFile);
const SECONDS = 60;

/** A 60 s 1080p source with structure to find: scene changes and quiet gaps every ~15 s. */
async function makeSource(ffmpeg: string, file: string): Promise<void> {
  const scene = (src: string, d: number) => ['-f', 'lavfi', '-i', `${src}=s=1920x1080:r=30:d=${d}`];
  await run(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...scene('testsrc2', 16),
    ...scene('smptehdbars', 14),
    ...scene('testsrc', 17),
    ...scene('rgbtestsrc', 13),
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='if(between(mod(t,15),14.4,15),0,0.3+0.2*sin(t/3))*sin(2*PI*330*t)':s=48000:d=${SECONDS}`,
    '-filter_complex',
    '[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0[v]',
    '-map',
    '[v]',
    '-map',
    '4:a',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '160k',
    file,
  ]);
}

/**
 * The whole pipeline (copy in, probe, analysis, per clip: loudness pass, render, thumbnail; probe
 * and store the outputs) on a 60 s 1080p source → 3 vertical 1080×1920 clips, against the very
 * same ffmpeg commands run raw, back to back, in the same run. The ratio is the pipeline's
 * overhead over the physical work; the speed is source seconds per wall second.
 */
export async function benchPipeline(ffmpeg: string, ffprobe: string, work: string): Promise<BenchResult[]> {
  const dir = join(work, 'pipeline');
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const sourceFile = join(dir, 'source.mp4');
  await makeSource(ffmpeg, sourceFile);
  const store = createLocalMediaStore(join(dir, 'media'));
  await copyFile(sourceFile, join(dir, 'upload.mp4'));
  await store.putFile('uploads/bench/source.mp4', join(dir, 'upload.mp4'));

  const commands: FfmpegCommand[] = [];
  const sideFiles: { name: string; text: string }[] = [];
  const deps: PipelineDeps = {
    ffmpegPath: ffmpeg,
    ffprobePath: ffprobe,
    ffmpegThreads: 0,
    tempDir: join(dir, 'tmp'),
    store,
    fetchLimits: { maxBytes: 1024 ** 3, timeoutMs: 60_000, maxRedirects: 0, allowPrivate: false },
    maxSourceSeconds: 3600,
    maxSourcePixels: 4096 * 2160,
    minSourceSeconds: 1,
    fonts: await loadFontCatalog(),
    transcriber: createSuppliedCaptionsTranscriber(),
    onClipRendered: (clip) => {
      commands.push(...clip.commands);
      sideFiles.push(...clip.sideFiles);
    },
  };
  const options: RenderOptions = {
    clipCount: 3,
    minClipSeconds: 10,
    maxClipSeconds: 16,
    title: { text: 'Three things nobody tells you' },
  };
  const job = (): RenderJobRequested =>
    makeEnvelope('render.job.requested.v1', 'bench', uuidv7(), {
      taskId: uuidv7(),
      generationId: null,
      sourceId: null,
      sourceUrl: 'media:uploads/bench/source.mp4',
      captionsUrl: null,
      contentType: 'shorts',
      options,
    });

  const timeOurs = async () => {
    commands.length = 0;
    sideFiles.length = 0;
    const t = performance.now();
    const clips = await renderTask(job(), deps, new AbortController().signal, () => undefined);
    const seconds = (performance.now() - t) / 1000;
    return { seconds, clipSeconds: clips.reduce((s, c) => s + c.durationSeconds, 0), clips: clips.length };
  };
  // The raw side: the analysis pass and every clip's commands, exactly as the pipeline ran them, in a scratch directory.
  const timeRaw = async (replay: FfmpegCommand[]) => {
    const scratch = join(dir, 'raw');
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    await copyFile(sourceFile, join(scratch, 'source'));
    for (const f of sideFiles) await writeFile(join(scratch, f.name), f.text);
    const t = performance.now();
    await runFfmpegRaw(ffmpeg, buildSignalsCommand({ input: join(scratch, 'source'), hasAudio: true, threads: 0 }));
    for (const cmd of replay) await runFfmpegRaw(ffmpeg, cmd, scratch);
    return (performance.now() - t) / 1000;
  };

  // Alternate, best of 3 each: the machine's other load hits both sides alike.
  const ours: number[] = [];
  const raw: number[] = [];
  let last = { seconds: 0, clipSeconds: 0, clips: 0 };
  for (let i = 0; i < 3; i++) {
    last = await timeOurs();
    ours.push(last.seconds);
    raw.push(await timeRaw([...commands]));
  }
  const best = Math.min(...ours);
  const bestRaw = Math.min(...raw);
  return [
    {
      name: `pipeline 60 s 1080p → ${last.clips} clips 1080×1920 (${last.clipSeconds.toFixed(1)} s of output)`,
      unit: 's',
      ours: best,
      baseline: bestRaw,
      baselineName: 'the same ffmpeg commands run raw',
      higherIsBetter: false,
      decimals: 2,
    },
    {
      name: 'pipeline speed, source seconds per wall second',
      unit: '× real time',
      ours: SECONDS / best,
      baseline: SECONDS / bestRaw,
      baselineName: 'raw ffmpeg commands',
      higherIsBetter: true,
      decimals: 2,
    },
  ];
}
