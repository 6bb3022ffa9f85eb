import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { PermanentError } from '@reelforge/messaging';
import { TaskErrorCodes } from './errors.ts';
import { join } from 'node:path';
import { outputSize, type RenderJobRequested } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import type { ReportProgress } from '../tasks/progress-reporter.ts';
import type { StoredClip } from '../tasks/task-store.ts';
import { fetchSource, type FetchLimits } from './fetch-source.ts';
import { probeSource } from './probe.ts';
import { transcodeVertical } from './transcode-vertical.ts';

export interface PipelineDeps {
  ffmpegPath: string;
  ffprobePath: string;
  ffmpegThreads: number;
  tempDir: string;
  store: MediaStore;
  fetchLimits: FetchLimits;
  maxSourceSeconds: number;
  maxSourcePixels: number;
}

/** An uploaded source is already in the media store: copy it into the task's scratch directory. */
async function copyFromStore(store: MediaStore, key: string, dest: string): Promise<{ bytes: number }> {
  try {
    await copyFile(store.pathOf(key), dest);
  } catch (err) {
    throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, 'the uploaded source is no longer in the media store', { cause: err });
  }
  return { bytes: (await stat(dest)).size };
}

/** The render stage as the handler sees it: a job in, stored clips out. */
export type RenderTask = (job: RenderJobRequested, signal: AbortSignal, report: ReportProgress) => Promise<StoredClip[]>;

/** A render stage that does nothing (RENDER_STAGE=noop): the control plane measured on its own. */
export const noopRender: RenderTask = async () => [];

// Overall percent per stage: download and probe are quick next to the render.
const WEIGHTS = { downloading: [0, 10], probing: [10, 12], rendering: [12, 95], uploading: [95, 100] } as const;
const span = (stage: keyof typeof WEIGHTS, fraction: number) => WEIGHTS[stage][0] + (WEIGHTS[stage][1] - WEIGHTS[stage][0]) * fraction;

/**
 * Runs one render task: fetch → probe → render (9:16 reframe) → store. Safe to re-run: it works
 * in a per-task temp directory that it clears first and always removes, and the store's write is
 * atomic, so a crash at any point leaves no partial output behind.
 */
export async function renderTask(job: RenderJobRequested, deps: PipelineDeps, signal: AbortSignal, report: ReportProgress): Promise<StoredClip[]> {
  const { taskId } = job.data;
  const work = join(deps.tempDir, taskId);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    report('downloading', span('downloading', 0), 'downloading the source');
    const source = join(work, 'source');
    const { bytes } = job.data.sourceUrl.startsWith('media:')
      ? await copyFromStore(deps.store, job.data.sourceUrl.slice('media:'.length), source)
      : await fetchSource(job.data.sourceUrl, source, deps.fetchLimits, signal);
    report('probing', span('probing', 0), `downloaded ${bytes} bytes; probing`);
    const probe = await probeSource(deps.ffprobePath, source, { maxDurationSeconds: deps.maxSourceSeconds, maxPixels: deps.maxSourcePixels });

    const { width, height } = outputSize(job.data.options);
    const durationSeconds = Math.min(probe.durationSeconds, job.data.options.maxDurationSeconds ?? probe.durationSeconds);
    const output = join(work, 'clip-00.mp4');
    const started = performance.now();
    report('rendering', span('rendering', 0), `rendering ${width}×${height}`);
    await transcodeVertical({
      ffmpegPath: deps.ffmpegPath,
      input: source,
      output,
      width,
      height,
      durationSeconds,
      hasAudio: probe.hasAudio,
      crf: job.data.options.crf ?? 23,
      preset: job.data.options.preset ?? 'veryfast',
      threads: deps.ffmpegThreads,
      signal,
      onProgress: (fraction) => {
        const elapsed = (performance.now() - started) / 1000;
        const eta = fraction > 0.01 ? (elapsed / fraction) * (1 - fraction) : null;
        report('rendering', span('rendering', fraction), `rendering ${Math.round(fraction * 100)}%`, eta);
      },
    });

    report('uploading', span('uploading', 0), 'storing the clip');
    const rendered = await probeSource(deps.ffprobePath, output, { maxDurationSeconds: Number.MAX_SAFE_INTEGER, maxPixels: Number.MAX_SAFE_INTEGER });
    const mediaKey = `${job.accountId}/${taskId}/clip-00.mp4`;
    const stored = await deps.store.putFile(mediaKey, output);
    return [{ clipIndex: 0, mediaKey, durationSeconds: rendered.durationSeconds, width: rendered.width, height: rendered.height, ...stored }];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
