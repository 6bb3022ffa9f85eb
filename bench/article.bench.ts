import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeEnvelope, uuidv7, type RenderJobRequested, type TaskStage } from '@reelforge/contracts';
import { createLocalMediaStore } from '@reelforge/media-store';
import { serveFiles, writeArticleSite } from '@reelforge/testing';
import { renderArticleTask, type ArticleDeps } from '../services/repurposer/src/article/render-article-task.ts';
import { createSuppliedCaptionsTranscriber } from '../services/repurposer/src/captions/transcriber.ts';
import { loadFontCatalog } from '../services/repurposer/src/fonts/font-catalog.ts';
import { runFfmpegRaw, type FfmpegCommand } from '../services/repurposer/src/render/ffmpeg-command.ts';
import { createEspeakSpeech } from '../services/repurposer/src/speech/espeak-speech.ts';
import type { BenchResult } from './result.ts';

/**
 * Article → 1080×1920 narrated video (45 s target, the default preset) through the whole article
 * pipeline (fetch, extract, script, espeak-ng voice-over, images, compose, thumbnail, store),
 * against the very same compose command run raw on the same inputs, in the same run. The ratio is
 * everything the pipeline adds to the one ffmpeg run that makes the video. Also the stage breakdown.
 */
export async function benchArticle(
  ffmpeg: string,
  ffprobe: string,
  espeak: string,
  work: string,
  say: (line: string) => void,
): Promise<BenchResult[]> {
  const dir = join(work, 'article');
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await mkdir(join(dir, 'site'), { recursive: true });
  const site = await serveFiles(await writeArticleSite(ffmpeg, join(dir, 'site')));
  const scratch = join(dir, 'raw');
  let compose: FfmpegCommand | undefined;
  let instrumentMs = 0;
  const deps: ArticleDeps = {
    ffmpegPath: ffmpeg,
    ffprobePath: ffprobe,
    ffmpegThreads: 0,
    tempDir: join(dir, 'tmp'),
    store: createLocalMediaStore(join(dir, 'media')),
    fetchLimits: { maxBytes: 1024 ** 3, timeoutMs: 60_000, maxRedirects: 0, allowPrivate: true },
    maxSourceSeconds: 3600,
    maxSourcePixels: 4096 * 2160,
    minSourceSeconds: 1,
    fonts: await loadFontCatalog(),
    transcriber: createSuppliedCaptionsTranscriber(),
    speech: createEspeakSpeech({ espeakPath: espeak }),
    llm: null,
    recordScript: async () => undefined,
    limits: { pageBytes: 5 * 1024 ** 2, imageBytes: 10 * 1024 ** 2, images: 8, musicBytes: 20 * 1024 ** 2 },
    // Keeps the compose run's inputs for the raw replay; the copy is instrumentation, not counted.
    onArticleComposed: async (cmd, cwd) => {
      const t = performance.now();
      compose = cmd;
      await rm(scratch, { recursive: true, force: true });
      await cp(cwd, scratch, { recursive: true });
      instrumentMs += performance.now() - t;
    },
  };
  const job = (): RenderJobRequested =>
    makeEnvelope('render.job.requested.v1', 'bench', uuidv7(), {
      taskId: uuidv7(),
      generationId: null,
      sourceId: null,
      sourceUrl: site.url('article.html'),
      captionsUrl: null,
      contentType: 'article',
      options: {},
      article: { targetSeconds: 45, voice: null, rate: null, title: null },
    });

  const timeOurs = async () => {
    instrumentMs = 0;
    const stages = new Map<TaskStage, number>();
    let stage: TaskStage | undefined;
    let since = performance.now();
    const t = performance.now();
    const [video] = await renderArticleTask(job(), deps, new AbortController().signal, (next) => {
      if (next === stage) return;
      const now = performance.now();
      if (stage) stages.set(stage, (stages.get(stage) ?? 0) + now - since);
      stage = next;
      since = now;
    });
    const end = performance.now();
    if (stage) stages.set(stage, (stages.get(stage) ?? 0) + end - since);
    return { seconds: (end - t - instrumentMs) / 1000, videoSeconds: video!.durationSeconds, stages };
  };
  const timeRaw = async () => {
    await rm(join(scratch, 'video.mp4'), { force: true });
    const t = performance.now();
    await runFfmpegRaw(ffmpeg, compose!, scratch);
    return (performance.now() - t) / 1000;
  };

  try {
    // Alternate, best of 3 each: the machine's other load hits both sides alike.
    const ours: number[] = [];
    const raw: number[] = [];
    let last = await timeOurs();
    ours.push(last.seconds);
    raw.push(await timeRaw());
    for (let i = 0; i < 2; i++) {
      last = await timeOurs();
      ours.push(last.seconds);
      raw.push(await timeRaw());
    }
    const breakdown = [...last.stages].map(([s, ms]) => `${s} ${(ms / 1000).toFixed(2)} s`).join(', ');
    say(`article stages (last run): ${breakdown}`);
    return [
      {
        name: `article → ${last.videoSeconds.toFixed(1)} s narrated video 1080×1920 (extract, script, espeak-ng, 3 images, compose, thumbnail, store)`,
        unit: 's',
        ours: Math.min(...ours),
        baseline: Math.min(...raw),
        baselineName: 'the same compose command run raw',
        higherIsBetter: false,
        decimals: 2,
        notes: breakdown,
      },
    ];
  } finally {
    await site.close();
  }
}
