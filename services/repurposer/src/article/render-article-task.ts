import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ARTICLE_SECONDS,
  DEFAULT_FONT_FAMILY,
  type ArticleScript,
  type RenderJobRequested,
} from '@reelforge/contracts';
import { PermanentError } from '@reelforge/messaging';
import { buildAssDocument, resolveCaptionStyle } from '../captions/ass-document.ts';
import { wrapTitle, resolveRenderOptions } from '../render/resolve-options.ts';
import type { FfmpegCommand } from '../render/ffmpeg-command.ts';
import { runFfmpeg } from '../render/run-ffmpeg.ts';
import { buildThumbnailCommand } from '../render/thumbnail.ts';
import { TaskErrorCodes } from '../pipeline/errors.ts';
import { fetchSource } from '../pipeline/fetch-source.ts';
import { probeSource } from '../pipeline/probe.ts';
import { requireFont, type PipelineDeps } from '../pipeline/render-task.ts';
import { withWorkDir } from '../pipeline/work-dir.ts';
import type { ReportProgress } from '../tasks/progress-reporter.ts';
import type { StoredClip } from '../tasks/task-store.ts';
import type { Speech } from '../speech/speech.ts';
import { buildComposeCommand, composedSeconds } from './compose/compose-command.ts';
import { narrationCues } from './compose/narration-cues.ts';
import { ArticleExtractionError } from './errors.ts';
import { extractArticle } from './extract-article.ts';
import { fetchArticleImages } from './fetch-images.ts';
import { fetchMusic } from './fetch-music.ts';
import type { LlmScriptWriter } from './script/llm-script-writer.ts';
import { writeScript } from './script/write-script.ts';
import { voiceScenes } from './voice-scenes.ts';

export interface ArticleDeps extends PipelineDeps {
  speech: Speech;
  llm: LlmScriptWriter | null;
  /** Keeps the script on the task as soon as it is written. */
  recordScript: (taskId: string, attempt: number, script: ArticleScript) => Promise<void>;
  limits: { pageBytes: number; imageBytes: number; images: number; musicBytes: number };
  /** Called with the compose command while its inputs still exist (the benchmark replays it raw). */
  onArticleComposed?: (cmd: FfmpegCommand, cwd: string) => Promise<void> | void;
}

const FPS = 30;
/** The rows of the stage table clients show: each is sent, never merged away by the progress throttle. */
const MILESTONE = { milestone: true };

/** The page as text: UTF-8 unless it is not valid UTF-8, then Windows-1252 (what browsers fall back to). */
function decodePage(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/**
 * Turns an article URL into one narrated video: extract → script → voice-over → images → compose
 * (one ffmpeg run) → thumbnail → store, reporting the stages clients of such job systems show (5 %
 * extracting … 95 % finalizing). Runs on the same task, attempt, cancel, timeout and storage
 * machinery as clips; every file lives in the attempt's own directory.
 */
export async function renderArticleTask(
  job: RenderJobRequested,
  deps: ArticleDeps,
  signal: AbortSignal,
  report: ReportProgress,
  attempt = 1,
): Promise<StoredClip[]> {
  const spec = job.data.article!;
  const { taskId } = job.data;
  const r = resolveRenderOptions({ ...job.data.options, title: undefined });
  const size = { width: r.reframe.width, height: r.reframe.height };
  const captionStyle = resolveCaptionStyle(job.data.options.captions, size);
  // Fonts are checked before any download: a wrong one fails in milliseconds.
  const titleFont = requireFont(deps.fonts, DEFAULT_FONT_FAMILY, true, 'title');
  if (r.captions) requireFont(deps.fonts, captionStyle.fontFamily, captionStyle.bold, 'caption');

  return withWorkDir(deps.tempDir, taskId, attempt, async (work) => {
    report('extracting', 5, 'extracting article content', null, MILESTONE);
    const page = join(work, 'page.html');
    await fetchSource(job.data.sourceUrl, page, { ...deps.fetchLimits, maxBytes: deps.limits.pageBytes }, signal);
    let article;
    try {
      article = extractArticle(decodePage(await readFile(page)), job.data.sourceUrl);
    } catch (err) {
      if (err instanceof ArticleExtractionError)
        throw new PermanentError(TaskErrorCodes.INVALID_INPUT, err.reason, { cause: err });
      throw err;
    }
    report(
      'extracting',
      10,
      `article content extracted: "${article.title}", ${article.wordCount} words, ${article.images.length} image(s)`,
      null,
      MILESTONE,
    );

    report('scripting', 15, 'generating video script', null, MILESTONE);
    const written = await writeScript(
      article,
      { targetSeconds: spec.targetSeconds ?? ARTICLE_SECONDS.default },
      { llm: deps.llm },
      signal,
    );
    const script: ArticleScript = spec.title ? { ...written.script, title: spec.title } : written.script;
    await deps.recordScript(taskId, attempt, script);
    report(
      'scripting',
      25,
      `script generated with ${script.scenes.length} scenes${written.fallbackReason ? ` (extractive: ${written.fallbackReason})` : ''}`,
      null,
      MILESTONE,
    );

    report('voicing', 30, 'generating voice-over audio', null, MILESTONE);
    const voice = await voiceScenes(
      script,
      { speech: deps.speech, ffmpegPath: deps.ffmpegPath, voice: spec.voice, rate: spec.rate, work, signal },
      (done) =>
        report(
          'voicing',
          30 + (20 * done) / script.scenes.length,
          `voice-over ${done} of ${script.scenes.length} scenes`,
        ),
    );
    report('voicing', 50, 'audio generation completed', null, MILESTONE);

    report('fetching_assets', 55, 'downloading visual assets', null, MILESTONE);
    const images = await fetchArticleImages(script, {
      articleUrl: job.data.sourceUrl,
      fetchLimits: deps.fetchLimits,
      maxBytes: deps.limits.imageBytes,
      maxImages: deps.limits.images,
      ffprobePath: deps.ffprobePath,
      work,
      signal,
    });
    const music = spec.music
      ? await fetchMusic(spec.music.url, {
          fetchLimits: deps.fetchLimits,
          maxBytes: deps.limits.musicBytes,
          ffprobePath: deps.ffprobePath,
          work,
          signal,
        })
      : null;
    const skipped = images.skipped.length
      ? `; left out ${images.skipped.map((s) => `${s.url} (${s.reason})`).join(', ')}`
      : '';
    report(
      'fetching_assets',
      75,
      `assets downloaded: ${images.used} of ${images.wanted} image(s)${music ? ' and the music' : ''}${skipped}`,
      null,
      MILESTONE,
    );

    report('composing', 80, 'composing video', null, MILESTONE);
    const scenes = script.scenes.map((_, i) => ({ seconds: voice.scenes[i]!.seconds, image: images.files[i] ?? null }));
    const cues = r.captions
      ? narrationCues(
          voice.scenes,
          scenes.map((s) => s.image === null),
        )
      : [];
    const captionsFile = cues.length > 0 ? 'captions.ass' : null;
    if (captionsFile) await writeFile(join(work, captionsFile), buildAssDocument(cues, captionStyle, size));
    const titleSize = Math.round(76 * (size.width / 1080));
    const titleLines = wrapTitle(script.title, titleSize, size.width);
    await Promise.all(titleLines.map((text, i) => writeFile(join(work, `title-${i}.txt`), text)));
    const compose = buildComposeCommand({
      scenes,
      narration: voice.file,
      size,
      fps: FPS,
      transitionSeconds: 0.5,
      fadeSeconds: r.fadeSeconds,
      captionsFile,
      music: music && spec.music ? { file: music, volume: spec.music.volume } : null,
      title: {
        lineFiles: titleLines.map((_, i) => `title-${i}.txt`),
        fontFile: titleFont,
        fontSize: titleSize,
        color: '#FFFFFF',
        outlineColor: '#000000',
        outlineWidth: Math.max(1, Math.round(5 * (size.width / 1080))),
        position: 'top',
        start: 0,
        end: Math.min(scenes[0]!.seconds, 6),
      },
      targetLufs: r.targetLufs,
      encode: { crf: r.crf, preset: r.preset, threads: deps.ffmpegThreads },
      output: 'video.mp4',
    });
    const seconds = composedSeconds(scenes);
    report('composing', 85, 'editing video with ffmpeg', null, MILESTONE);
    await runFfmpeg(compose, {
      ffmpegPath: deps.ffmpegPath,
      cwd: work,
      signal,
      expectedSeconds: seconds,
      onProgress: (f) => report('composing', 85 + f * 10, `editing video with ffmpeg (${Math.round(f * 100)}%)`),
    });
    await deps.onArticleComposed?.(compose, work);

    report('finalizing', 95, 'finalizing video', null, MILESTONE);
    await runFfmpeg(buildThumbnailCommand('video.mp4', seconds, size, 'video.jpg'), {
      ffmpegPath: deps.ffmpegPath,
      cwd: work,
      signal,
      expectedSeconds: 0,
    });
    const file = join(work, 'video.mp4');
    const thumbnail = join(work, 'video.jpg');
    if (deps.ensureRoom) await deps.ensureRoom(job.accountId, (await stat(file)).size + (await stat(thumbnail)).size);
    const info = await probeSource(
      deps.ffprobePath,
      file,
      { maxDurationSeconds: Number.MAX_SAFE_INTEGER, maxPixels: Number.MAX_SAFE_INTEGER },
      signal,
    );
    const base = `${job.accountId}/${taskId}/${attempt}/article`;
    await deps.store.putFile(`${base}.jpg`, thumbnail);
    const stored = await deps.store.putFile(`${base}.mp4`, file);
    report('finalizing', 100, 'video created', null, MILESTONE);
    return [
      {
        clipIndex: 0,
        mediaKey: `${base}.mp4`,
        durationSeconds: info.durationSeconds,
        width: info.width,
        height: info.height,
        ...stored,
        segment: [],
        score: null,
        reason: `narrated from "${article.title}" (${script.source} script, ${script.scenes.length} scenes, ${images.used} of ${images.wanted} images${skipped})`,
        captioned: captionsFile !== null,
        title: script.title,
        thumbnailKey: `${base}.jpg`,
        script,
      },
    ];
  });
}
