import { copyFile, link, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RenderJobRequested } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import { PermanentError } from '@reelforge/messaging';
import { chooseMoments } from '../analysis/choose-moments.ts';
import type { MomentRanker } from '../analysis/llm-moment-ranker.ts';
import { measureSignals } from '../analysis/measure-signals.ts';
import { resolveCaptionStyle } from '../captions/ass-document.ts';
import { chooseClipReframe } from '../faces/clip-reframe.ts';
import type { FaceDetector } from '../faces/face.ts';
import { sentenceEnds } from '../captions/clip-cues.ts';
import type { Cue } from '../captions/cue.ts';
import { CaptionsFormatError } from '../captions/parse-captions.ts';
import { noCaptionsReason, type Transcriber } from '../captions/transcriber.ts';
import type { FontCatalog } from '../fonts/font-catalog.ts';
import { clipDurationSeconds } from '../render/clip-command.ts';
import { renderClip, type RenderedClip } from '../render/render-clip.ts';
import { resolveRenderOptions, type ResolvedRender } from '../render/resolve-options.ts';
import type { ReportProgress } from '../tasks/progress-reporter.ts';
import { traceStages } from './stage-spans.ts';
import type { StoredClip } from '../tasks/task-store.ts';
import { TaskErrorCodes, invalidInput } from './errors.ts';
import { fetchPlatformMedia } from './fetch-platform-media.ts';
import { fetchSource, type FetchLimits } from './fetch-source.ts';
import { isPlatformUrl } from './platform-hosts.ts';
import { resolvePlatformUrl } from './resolve-platform-url.ts';
import { explicitSegments, type PlannedSegment } from './plan-segments.ts';
import { probeImage, probeSource, type ProbeResult } from './probe.ts';
import { QUICK_STAGES, createProgressPlan } from './progress-plan.ts';
import { withWorkDir } from './work-dir.ts';

export interface PipelineDeps {
  ffmpegPath: string;
  ffprobePath: string;
  ffmpegThreads: number;
  tempDir: string;
  store: MediaStore;
  fetchLimits: FetchLimits;
  maxSourceSeconds: number;
  maxSourcePixels: number;
  minSourceSeconds: number;
  fonts: FontCatalog;
  transcriber: Transcriber;
  /** Orders candidate moments by their transcript (an LLM, MOMENTS_API_URL); absent: the heuristic alone. */
  momentRanker?: MomentRanker | null;
  /** Called with every clip rendered (the benchmark reads the exact ffmpeg commands from it). */
  onClipRendered?: (clip: RenderedClip) => void;
  /** Told each clip's render wall time and length, in seconds (metrics). */
  observeClipRender?: (wallSeconds: number, clipSeconds: number) => void;
  /** Throws (permanently) when `bytes` more would take the account past its storage quota. */
  ensureRoom?: (accountId: string, bytes: number) => Promise<void>;
  /** Video-platform page links, resolved with yt-dlp (absent: every URL is fetched as a media file). */
  platforms?: PlatformLinks;
  /** The face detector, loaded once per process on first use (absent: no face tracking; clips use fit_blur). */
  faceDetector?: () => Promise<FaceDetector>;
  /** Where face tracking's fallbacks are logged (they never fail a task). */
  log?: { warn(fields: object, message: string): void };
}

export interface PlatformLinks {
  /** VIDEO_PLATFORM_HOSTS: exact host names, lower case. */
  hosts: ReadonlySet<string>;
  ytDlpPath: string;
  /** How long one yt-dlp run may take to resolve a link. */
  resolveTimeoutMs: number;
}

/** yt-dlp reads one page and maybe a few API answers: a minute and a half is plenty. */
export const PLATFORM_RESOLVE_TIMEOUT_MS = 90_000;

/** The render stage as the handler sees it: a job (and which attempt at it this is) in, stored clips out. */
export type RenderTask = (
  job: RenderJobRequested,
  signal: AbortSignal,
  report: ReportProgress,
  attempt: number,
) => Promise<StoredClip[]>;

/**
 * A render stage that does nothing (RENDER_STAGE=noop): the control plane measured on its own. It
 * reports one progress update, as a real render does, so the benchmark counts that path too.
 */
export const noopRender: RenderTask = async (_job, _signal, report) => {
  report('rendering', 50, 'no-op render');
  return [];
};

const CAPTIONS_MAX_BYTES = 5 * 1024 * 1024;

/**
 * A `media:` location is already in the store (an upload): hard-linked into the task's directory
 * (instant for a 2 GB source, and it survives the upload being removed meanwhile), copied when the
 * store is on another filesystem.
 */
async function fetchInto(
  location: string,
  dest: string,
  deps: PipelineDeps,
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<{ bytes: number }> {
  if (!location.startsWith('media:')) return fetchSource(location, dest, limits, signal);
  const stored = deps.store.pathOf(location.slice('media:'.length));
  try {
    await link(stored, dest).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code !== 'EXDEV' && code !== 'EPERM') throw err;
      return copyFile(stored, dest);
    });
  } catch (err) {
    throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, 'the upload is no longer in the media store', {
      cause: err,
    });
  }
  return { bytes: (await stat(dest)).size };
}

/**
 * The source video: a page on an allow-listed video platform is resolved with yt-dlp to one media
 * file's URL, or separate video and audio (yt-dlp downloads nothing), which our fetcher then
 * downloads like any other source (separate streams joined into one file).
 */
async function fetchSourceVideo(
  location: string,
  dest: string,
  work: string,
  deps: PipelineDeps,
  signal: AbortSignal,
  report: ReportProgress,
): Promise<{ bytes: number }> {
  const platforms = deps.platforms;
  if (!platforms || !isPlatformUrl(location, platforms.hosts))
    return fetchInto(location, dest, deps, deps.fetchLimits, signal);
  report('downloading', QUICK_STAGES.downloading, 'resolving the video link');
  const media = await resolvePlatformUrl(location, {
    ytDlpPath: platforms.ytDlpPath,
    timeoutMs: platforms.resolveTimeoutMs,
    allowPrivate: deps.fetchLimits.allowPrivate,
    maxSourceSeconds: deps.maxSourceSeconds,
    maxBytes: deps.fetchLimits.maxBytes,
    cwd: work,
    signal,
  });
  // The platform's title is someone else's text: one short line in the progress message.
  const title = media.title?.replace(/\p{Cc}+/gu, ' ').slice(0, 80);
  report(
    'downloading',
    QUICK_STAGES.downloading,
    `downloading ${title ? `"${title}"` : 'the video'} (format ${media.formatId})`,
  );
  return fetchPlatformMedia(media, dest, {
    ffmpegPath: deps.ffmpegPath,
    work,
    limits: deps.fetchLimits,
    signal,
  });
}

/** Font families must exist on this worker: fontconfig would silently substitute another. */
export function requireFont(fonts: FontCatalog, family: string, bold: boolean, what: string): string {
  const file = fonts.fileFor(family, bold);
  if (!file)
    throw invalidInput(`the ${what} font "${family}" is not installed; GET /api/v1/fonts lists the ones that are`);
  return file;
}

async function transcribe(
  deps: PipelineDeps,
  source: string,
  captionsFile: string | null,
  hasAudio: boolean,
  signal: AbortSignal,
): Promise<Cue[] | null> {
  try {
    return await deps.transcriber.transcribe({ sourceFile: source, captionsFile, hasAudio }, signal);
  } catch (err) {
    if (err instanceof CaptionsFormatError) throw invalidInput(`the captions file cannot be used: ${err.message}`, err);
    throw err;
  }
}

/** Relative cost of the long stages, so the progress bar moves evenly: media seconds × output pixels. */
const renderCost = (seconds: number, r: ResolvedRender) =>
  seconds * ((r.reframe.width * r.reframe.height) / (1080 * 1920)) * 1.2;
const analysisCost = (probe: ProbeResult) => probe.durationSeconds * 0.08;

async function planSegments(
  job: RenderJobRequested,
  r: ResolvedRender,
  probe: ProbeResult,
  /** What is said, to score the moments by (burned or not). */
  cues: Cue[] | null,
  deps: PipelineDeps,
  signal: AbortSignal,
  onProgress: (f: number) => void,
  source: string,
): Promise<{ segments: PlannedSegment[]; sceneCuts: number[] | null }> {
  // Explicit segments skip the analysis pass: no scene cuts are known (null), so tracking finds
  // each clip's own while it samples frames.
  if (job.data.options.segments)
    return { segments: explicitSegments(job.data.options.segments, probe.durationSeconds), sceneCuts: null };
  const signals = await measureSignals({
    ffmpegPath: deps.ffmpegPath,
    input: source,
    durationSeconds: probe.durationSeconds,
    hasAudio: probe.hasAudio,
    threads: deps.ffmpegThreads,
    signal,
    onProgress,
  });
  const chosen = await chooseMoments(
    signals,
    cues,
    {
      count: r.clipCount,
      minSeconds: r.minClipSeconds,
      maxSeconds: r.maxClipSeconds,
      ...(cues ? { sentenceEnds: sentenceEnds(cues) } : {}),
    },
    deps.momentRanker ?? null,
    signal,
  );
  return {
    segments: chosen.map((c) => ({ parts: [{ start: c.start, end: c.end }], score: c.score, reason: c.reason })),
    sceneCuts: signals.sceneCuts,
  };
}

/**
 * Runs one render task: fetch → probe → transcribe → analyze → render each clip (with thumbnail)
 * → store. Safe to re-run: each attempt works in its own directory (`<tempDir>/<taskId>/<attempt>`)
 * that it clears first and always removes, so a redelivered attempt never deletes the files of one
 * still running; the store's writes are atomic and keyed by attempt too (only the attempt that
 * completes the task gets rows), so a crash or cancel at any point leaves nothing partial behind.
 */
export async function renderTask(
  job: RenderJobRequested,
  deps: PipelineDeps,
  signal: AbortSignal,
  reportProgress: ReportProgress,
  attempt = 1,
): Promise<StoredClip[]> {
  const { taskId } = job.data;
  const stages = traceStages(reportProgress);
  const report = stages.report;
  const r = resolveRenderOptions(job.data.options);
  // Checked before any download: a wrong font fails in milliseconds, not after a 2 GB fetch.
  const titleFont = r.title ? requireFont(deps.fonts, r.title.fontFamily, r.title.bold, 'title') : null;
  const captionStyle = resolveCaptionStyle(job.data.options.captions, r.reframe);
  const explicit = job.data.options.segments !== undefined;
  // What is said also chooses the moments: with captions off, a transcript is still read (or
  // made) when the moments are ours to choose; it is then used for scoring only, never burned.
  const wantsTranscript = r.captions || !explicit;
  const captionsUrl = wantsTranscript ? (job.data.captionsUrl ?? null) : null;

  try {
    return await renderInWorkDir();
  } catch (err) {
    stages.end(err);
    throw err;
  } finally {
    stages.end();
  }

  function renderInWorkDir() {
    return withWorkDir(deps.tempDir, taskId, attempt, async (work) => {
      report('downloading', QUICK_STAGES.downloading, 'downloading the source');
      const { bytes } = await fetchSourceVideo(job.data.sourceUrl, join(work, 'source'), work, deps, signal, report);
      if (captionsUrl)
        await fetchInto(
          captionsUrl,
          join(work, 'captions'),
          deps,
          { ...deps.fetchLimits, maxBytes: CAPTIONS_MAX_BYTES },
          signal,
        );
      const logo = job.data.options.logo?.location;
      if (logo) await fetchInto(logo, join(work, 'logo'), deps, deps.fetchLimits, signal);

      report('probing', QUICK_STAGES.probing, `downloaded ${bytes} bytes; probing`);
      const probe = await probeSource(
        deps.ffprobePath,
        join(work, 'source'),
        { maxDurationSeconds: deps.maxSourceSeconds, maxPixels: deps.maxSourcePixels },
        signal,
      );
      if (logo) await probeImage(deps.ffprobePath, join(work, 'logo'), 'the logo', signal);
      if (probe.durationSeconds < deps.minSourceSeconds)
        throw invalidInput(
          `the source is ${probe.durationSeconds.toFixed(2)} s long; a clip needs at least ${deps.minSourceSeconds} s`,
        );

      const captionsFile = captionsUrl ? join(work, 'captions') : null;
      report(
        'transcribing',
        QUICK_STAGES.transcribing,
        deps.transcriber.describe?.({ captionsFile }) ??
          (captionsUrl ? 'reading the captions' : 'transcribing speech (when speech-to-text is configured)'),
      );
      const transcript = wantsTranscript
        ? await transcribe(deps, join(work, 'source'), captionsFile, probe.hasAudio, signal)
        : null;
      const cues = r.captions ? transcript : null;
      if (r.captions && !cues)
        report(
          'transcribing',
          QUICK_STAGES.transcribing,
          noCaptionsReason(deps.transcriber, captionsFile, probe.hasAudio),
          null,
          { milestone: true },
        );
      if (cues) requireFont(deps.fonts, captionStyle.fontFamily, captionStyle.bold, 'caption');

      // Progress is planned twice: before analysis the clips' lengths are only an estimate.
      const estimate = createProgressPlan([
        { key: 'analysis', cost: explicit ? 0 : analysisCost(probe) },
        { key: 'render', cost: renderCost(Math.min(probe.durationSeconds, r.clipCount * r.maxClipSeconds), r) },
      ]);
      report(
        'analyzing',
        estimate.at('analysis', 0).percent,
        explicit ? 'using the given segments' : 'finding the best segments',
      );
      const { segments, sceneCuts } = await planSegments(
        job,
        r,
        probe,
        transcript,
        deps,
        signal,
        (f) => {
          const p = estimate.at('analysis', f);
          report('analyzing', p.percent, `analyzing ${Math.round(f * 100)}%`, p.etaSeconds);
        },
        join(work, 'source'),
      );

      const plan = createProgressPlan(
        [
          { key: 'analysis', cost: explicit ? 0 : analysisCost(probe) },
          ...segments.map((s, i) => ({
            key: `clip-${i}`,
            cost: renderCost(clipDurationSeconds(s.parts, r.transitionSeconds), r),
          })),
        ],
        estimate.startedAt === undefined ? {} : { startedAt: estimate.startedAt },
      );
      const rendered: RenderedClip[] = [];
      const reframeNotes: (string | null)[] = [];
      for (const [i, segment] of segments.entries()) {
        const clipStarted = performance.now();
        if (r.tracking !== 'off' && deps.faceDetector)
          report(
            'rendering',
            plan.at(`clip-${i}`, 0).percent,
            `tracking faces for clip ${i + 1} of ${segments.length}`,
          );
        // Not awaited here: the clip's loudness pass runs while tracking decodes the video.
        const reframe = chooseClipReframe({
          r,
          parts: segment.parts,
          ffmpegPath: deps.ffmpegPath,
          cwd: work,
          source: 'source',
          sourceSize: probe,
          sceneCuts,
          faceDetector: deps.faceDetector,
          signal,
        }).then((choice) => {
          if (choice.failure)
            deps.log?.warn({ taskId, clip: i, reason: choice.failure }, 'face tracking failed; the clip uses fit_blur');
          if (choice.note)
            report(
              'rendering',
              plan.at(`clip-${i}`, 0).percent,
              `clip ${i + 1} of ${segments.length}: ${choice.note}`,
              null,
              { milestone: true },
            );
          reframeNotes[i] = choice.note;
          return choice.reframe;
        });
        const clip = await renderClip(
          {
            index: i,
            parts: segment.parts,
            source: 'source',
            hasAudio: probe.hasAudio,
            cues,
            captionStyle,
            titleFontFile: titleFont,
            logoFile: logo ? 'logo' : null,
            reframe,
          },
          r,
          {
            ffmpegPath: deps.ffmpegPath,
            cwd: work,
            threads: deps.ffmpegThreads,
            signal,
            onProgress: (f) => {
              const p = plan.at(`clip-${i}`, f);
              report(
                'rendering',
                p.percent,
                `rendering clip ${i + 1} of ${segments.length} (${Math.round(f * 100)}%)`,
                p.etaSeconds,
              );
            },
          },
        );
        deps.observeClipRender?.((performance.now() - clipStarted) / 1000, clip.durationSeconds);
        deps.onClipRendered?.(clip);
        rendered.push(clip);
      }

      report('uploading', QUICK_STAGES.uploading, `storing ${rendered.length} clip(s)`);
      if (deps.ensureRoom) {
        let bytes = 0;
        for (const clip of rendered) bytes += (await stat(clip.file)).size + (await stat(clip.thumbnail)).size;
        await deps.ensureRoom(job.accountId, bytes);
      }
      const stored: StoredClip[] = [];
      for (const clip of rendered) {
        const info = await probeSource(
          deps.ffprobePath,
          clip.file,
          { maxDurationSeconds: Number.MAX_SAFE_INTEGER, maxPixels: Number.MAX_SAFE_INTEGER },
          signal,
        );
        const base = `${job.accountId}/${taskId}/${attempt}/clip-${String(clip.index).padStart(2, '0')}`;
        const thumbnailKey = `${base}.jpg`;
        await deps.store.putFile(thumbnailKey, clip.thumbnail);
        const video = await deps.store.putFile(`${base}.mp4`, clip.file);
        const segment = segments[clip.index]!;
        stored.push({
          clipIndex: clip.index,
          mediaKey: `${base}.mp4`,
          durationSeconds: info.durationSeconds,
          width: info.width,
          height: info.height,
          ...video,
          segment: segment.parts,
          score: segment.score,
          // The reframe actually used is recorded with the clip (no column of its own: the reason says it).
          reason: reframeNotes[clip.index] ? `${segment.reason}; ${reframeNotes[clip.index]}` : segment.reason,
          captioned: clip.captioned,
          title: r.title?.text ?? null,
          thumbnailKey,
        });
      }
      return stored;
    });
  }
}
