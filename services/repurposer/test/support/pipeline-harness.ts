import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import {
  makeEnvelope,
  uuidv7,
  type RenderJobRequested,
  type RenderOptions,
  type TaskStage,
} from '@reelforge/contracts';
import { createLocalMediaStore, type MediaStore } from '@reelforge/media-store';
import { createSuppliedCaptionsTranscriber } from '../../src/captions/transcriber.ts';
import { loadFontCatalog } from '../../src/fonts/font-catalog.ts';
import { renderTask, type PipelineDeps } from '../../src/pipeline/render-task.ts';
import type { StoredClip } from '../../src/tasks/task-store.ts';

const run = promisify(execFile);

export interface ProgressEvent {
  stage: TaskStage;
  percent: number;
  message: string;
  etaSeconds: number | null;
}

export interface Harness {
  ffmpeg: string;
  ffprobe: string;
  root: string;
  store: MediaStore;
  deps: PipelineDeps;
  /** Puts a local file into the media store as an upload; returns its `media:` location. */
  upload(file: string, name: string): Promise<string>;
  /** Runs the pipeline on a `media:` source with the given options. */
  render(
    source: string,
    options: RenderOptions,
    extra?: { captionsUrl?: string; signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void },
  ): Promise<{ clips: StoredClip[]; progress: ProgressEvent[]; taskId: string }>;
  /** Files left in the pipeline's temp directory (must be none after any outcome). */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

/** The real pipeline on real ffmpeg, with a local media store and temp dir private to the test file. */
export async function createHarness(): Promise<Harness> {
  const ffmpeg = inject('ffmpegPath');
  const ffprobe = inject('ffprobePath');
  const root = await mkdtemp(join(tmpdir(), 'rf-pipeline-'));
  const store = createLocalMediaStore(join(root, 'media'));
  const tempDir = join(root, 'tmp');
  await mkdir(tempDir, { recursive: true });
  const deps: PipelineDeps = {
    ffmpegPath: ffmpeg,
    ffprobePath: ffprobe,
    ffmpegThreads: 0,
    tempDir,
    store,
    fetchLimits: { maxBytes: 1024 ** 3, timeoutMs: 60_000, maxRedirects: 3, allowPrivate: true },
    maxSourceSeconds: 4 * 3600,
    maxSourcePixels: 4096 * 2160,
    minSourceSeconds: 1,
    fonts: await loadFontCatalog(),
    transcriber: createSuppliedCaptionsTranscriber(),
  };
  let uploads = 0;
  return {
    ffmpeg,
    ffprobe,
    root,
    store,
    deps,
    async upload(file, name) {
      const key = `uploads/test/${++uploads}/${name}`;
      const copy = join(root, `upload-${uploads}`);
      await copyFile(file, copy);
      await store.putFile(key, copy);
      return `media:${key}`;
    },
    async render(source, options, extra = {}) {
      const taskId = uuidv7();
      const job: RenderJobRequested = makeEnvelope('render.job.requested.v1', 'test', uuidv7(), {
        taskId,
        generationId: null,
        sourceId: null,
        sourceUrl: source,
        captionsUrl: extra.captionsUrl ?? null,
        contentType: 'shorts',
        options,
      });
      const progress: ProgressEvent[] = [];
      const clips = await renderTask(
        job,
        deps,
        extra.signal ?? new AbortController().signal,
        (stage, percent, message, etaSeconds = null) => {
          const event = { stage, percent, message, etaSeconds };
          progress.push(event);
          extra.onProgress?.(event);
        },
      );
      return { clips, progress, taskId };
    },
    leftovers: () => readdir(tempDir),
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** Runs ffmpeg with the given args (test media generation). */
export async function ffmpegRun(ffmpeg: string, args: string[]): Promise<void> {
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** One decoded frame at `seconds` as raw RGB bytes. */
export async function frameAt(ffmpeg: string, file: string, seconds: number): Promise<Buffer> {
  const { stdout } = await promisify(execFile)(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      String(seconds),
      '-i',
      file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

/** Fraction of pixels in rows [y0, y1) that differ by more than `tolerance` on any channel. */
export function changedFraction(a: Buffer, b: Buffer, width: number, y0: number, y1: number, tolerance = 40): number {
  let changed = 0;
  let total = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      total++;
      if (
        Math.abs(a[i]! - b[i]!) > tolerance ||
        Math.abs(a[i + 1]! - b[i + 1]!) > tolerance ||
        Math.abs(a[i + 2]! - b[i + 2]!) > tolerance
      )
        changed++;
    }
  }
  return changed / total;
}

export interface StreamFacts {
  width: number;
  height: number;
  videoCodec: string | undefined;
  audioCodec: string | undefined;
  durationSeconds: number;
  /** The `moov` atom comes before `mdat`: playable before fully downloaded. */
  faststart: boolean;
}

/** What the acceptance criteria check on every output, read with ffprobe and from the MP4's atoms. */
export async function streamFacts(ffprobe: string, file: string): Promise<StreamFacts> {
  const { stdout } = await run(ffprobe, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  const info = JSON.parse(stdout) as {
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    format: { duration?: string };
  };
  const video = info.streams.find((s) => s.codec_type === 'video');
  const head = (await readFile(file)).subarray(0, 1024 * 1024).toString('latin1');
  const moov = head.indexOf('moov');
  const mdat = head.indexOf('mdat');
  return {
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    videoCodec: video?.codec_name,
    audioCodec: info.streams.find((s) => s.codec_type === 'audio')?.codec_name,
    durationSeconds: Number(info.format.duration ?? 0),
    faststart: moov >= 0 && (mdat < 0 || moov < mdat),
  };
}

/** Integrated loudness (LUFS) of a file's audio, by ffmpeg's ebur128 scanner. */
export async function integratedLoudness(ffmpeg: string, file: string): Promise<number> {
  const { stderr } = await run(ffmpeg, ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128', '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  return Number(/I:\s+(-?[\d.]+) LUFS/.exec(summary)?.[1]);
}
