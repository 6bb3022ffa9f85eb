import {
  BacklogItemTransferred,
  CancelRequested,
  DEFAULT_FONT_FAMILY,
  DomainError,
  makeEnvelope,
  uuidv7,
  RenderJobRequested,
  STREAMS,
  filters,
  repurposerCommands,
  transferContentCommand,
} from '@reelforge/contracts';
import { ensureConsumer, ensureStream, publishEvent, serveCommand, startConsumer } from '@reelforge/messaging';
import { startOutboxRelay } from '@reelforge/persistence';
import type { Platform } from '@reelforge/service-kit';
import type { RepurposerConfig } from './config.ts';
import { createContentQueries } from './content/content-queries.ts';
import { createContentStorage } from './content/content-storage.ts';
import { transferContent } from './content/transfer-content.ts';
import { registerRepurposerMetrics } from './observability/repurposer-metrics.ts';
import { createCancelRequestDeadLetterHandler, createCancelRequestHandler } from './handlers/cancel-request.ts';
import { createRenderJobDeadLetterHandler, createRenderJobHandler } from './handlers/render-job.ts';
import { createLocalMediaStore } from '@reelforge/media-store';
import { discardClips } from './pipeline/discard-clips.ts';
import { closeFaceDetector, loadFaceDetector } from './faces/load-detector.ts';
import { PLATFORM_RESOLVE_TIMEOUT_MS, noopRender, renderTask, type PipelineDeps } from './pipeline/render-task.ts';
import { createSpeechToTextTranscriber } from './captions/speech-to-text-transcriber.ts';
import { createSuppliedCaptionsTranscriber, createTranscriber } from './captions/transcriber.ts';
import { createCaptionAligner } from './captions/local-speech/caption-aligner.ts';
import { createWhisperTranscriber } from './captions/local-speech/whisper-transcriber.ts';
import { loadFontCatalog } from './fonts/font-catalog.ts';
import { createRunningTasks } from './tasks/running-tasks.ts';
import { renderArticleTask, type ArticleDeps } from './article/render-article-task.ts';
import { createLlmScriptWriter } from './article/script/llm-script-writer.ts';
import { createLlmMomentRanker } from './analysis/llm-moment-ranker.ts';
import { createSpeech } from './speech/create-speech.ts';
import { createTaskQueries } from './tasks/task-queries.ts';
import { createTaskStore } from './tasks/task-store.ts';
import { createKeyedTasks, keyedUuid } from './tasks/keyed-task.ts';

export const SERVICE = 'repurposer';
const RENDER_CONSUMER = 'repurposer-render';
const CANCEL_CONSUMER = 'repurposer-cancel';
const TRANSFER_CONSUMER = 'repurposer-backlog-transfers';
/**
 * Deliveries of one render job the consumer loop allows beyond the task's counted attempts: the
 * handler keeps the real budget (task_attempts, shutdown interruptions excluded), this only stops
 * a job that never even opens an attempt from coming back forever.
 */
const EXTRA_DELIVERIES = 100;
/** Time after the drain grace to interrupt running renders, record them and hand their jobs back. */
const HAND_BACK_MS = 15_000;

/** Wires the repurposer onto a started platform: render work queue, cancel requests, commands, outbox relay. */
export async function createRepurposer(platform: Platform, config: RepurposerConfig): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const relay = startOutboxRelay({
    orm,
    schema,
    log,
    publish: (row) => publishEvent(m, row.subject, row.envelope).then(() => undefined),
  });
  platform.shutdown.add('outbox-relay', () => relay.stop());

  const tasks = createTaskStore({
    orm,
    schema,
    service: SERVICE,
    afterCommit: () => relay.kick(),
    retentionMs: config.MEDIA_RETENTION,
  });
  const queries = createTaskQueries({ orm, schema });
  const keyedTasks = createKeyedTasks({ orm, schema });
  const running = createRunningTasks(m, log);
  platform.shutdown.add('kill-listener', () => running.close());

  const store = createLocalMediaStore(config.MEDIA_ROOT);
  const content = createContentQueries({ orm, schema, store });
  const storage = createContentStorage({ orm, schema, store, quotaBytes: config.ACCOUNT_STORAGE_QUOTA_BYTES, log });
  // Clips past their retention go on the pruning schedule (files first, then rows).
  const expiry =
    config.PRUNE_INTERVAL > 0
      ? setInterval(
          () =>
            void storage
              .expire()
              .catch((err: unknown) => log.warn({ err: String(err) }, 'clip expiry failed; trying again next time')),
          config.PRUNE_INTERVAL,
        )
      : undefined;
  expiry?.unref();
  platform.shutdown.add('clip-expiry', async () => clearInterval(expiry));
  const fonts = await loadFontCatalog();
  if (fonts.families().length === 0)
    log.warn('fontconfig lists no fonts (is fc-list installed?): titles and captions will fail until one is');
  // Registered before the render consumer, so it closes after the renders stop (steps run in reverse).
  if (config.FACE_TRACKING) platform.shutdown.add('face-detector', () => closeFaceDetector());
  const pipeline: PipelineDeps = {
    observeClipRender: registerRepurposerMetrics(platform.metrics, orm, schema),
    ffmpegPath: config.FFMPEG_PATH,
    ffprobePath: config.FFPROBE_PATH,
    ffmpegThreads: config.FFMPEG_THREADS,
    ...(config.FACE_TRACKING ? { faceDetector: loadFaceDetector } : {}),
    log,
    tempDir: config.TEMP_DIR,
    store,
    fetchLimits: {
      maxBytes: config.MAX_SOURCE_BYTES,
      timeoutMs: config.SOURCE_FETCH_TIMEOUT,
      maxRedirects: 5,
      allowPrivate: config.SOURCE_URL_ALLOW_PRIVATE,
    },
    maxSourceSeconds: 4 * 3600,
    maxSourcePixels: config.MAX_SOURCE_PIXELS,
    minSourceSeconds: 1,
    fonts,
    ensureRoom: storage.ensureRoom,
    platforms: {
      hosts: new Set(config.VIDEO_PLATFORM_HOSTS),
      ytDlpPath: config.YT_DLP_PATH,
      resolveTimeoutMs: PLATFORM_RESOLVE_TIMEOUT_MS,
    },
    transcriber: createTranscriber({
      supplied: createSuppliedCaptionsTranscriber({
        aligner: createCaptionAligner({ ffmpegPath: config.FFMPEG_PATH }),
        warn: (message) => log.warn(message),
      }),
      local: config.WHISPER_MODEL_PATH
        ? createWhisperTranscriber({
            ffmpegPath: config.FFMPEG_PATH,
            modelPath: config.WHISPER_MODEL_PATH,
            language: config.WHISPER_LANGUAGE,
          })
        : null,
      speech:
        config.TRANSCRIBE_API_URL && config.TRANSCRIBE_API_KEY
          ? createSpeechToTextTranscriber({
              ffmpegPath: config.FFMPEG_PATH,
              apiUrl: config.TRANSCRIBE_API_URL,
              apiKey: config.TRANSCRIBE_API_KEY,
              model: config.TRANSCRIBE_MODEL,
              timeoutMs: config.TRANSCRIBE_TIMEOUT,
            })
          : null,
    }),
    momentRanker: config.MOMENTS_API_URL
      ? createLlmMomentRanker({
          url: config.MOMENTS_API_URL,
          apiKey: config.MOMENTS_API_KEY ?? '',
          model: config.MOMENTS_MODEL,
          timeoutMs: config.MOMENTS_TIMEOUT,
        })
      : null,
  };
  const articles: ArticleDeps = {
    ...pipeline,
    speech: createSpeech(config),
    llm:
      config.SCRIPT_API_URL && config.SCRIPT_API_KEY
        ? createLlmScriptWriter({
            url: config.SCRIPT_API_URL,
            apiKey: config.SCRIPT_API_KEY,
            model: config.SCRIPT_MODEL,
            timeoutMs: config.SCRIPT_TIMEOUT,
          })
        : null,
    recordScript: tasks.recordScript,
    limits: {
      pageBytes: config.ARTICLE_MAX_PAGE_BYTES,
      imageBytes: config.ARTICLE_MAX_IMAGE_BYTES,
      images: config.ARTICLE_MAX_IMAGES,
      musicBytes: config.ARTICLE_MAX_MUSIC_BYTES,
    },
  };
  const retry = {
    initialDelayMs: config.TASK_INITIAL_RETRY_DELAY,
    maxDelayMs: config.TASK_MAX_RETRY_DELAY,
    maxDeliveries: config.TASK_MAX_RETRIES + 1,
    jitter: 0.2,
  };
  const handler = createRenderJobHandler({
    m,
    service: SERVICE,
    tasks,
    running,
    taskTimeoutMs: config.TASK_TIMEOUT,
    maxAttempts: config.TASK_MAX_RETRIES + 1,
    retry,
    ackWaitMs: config.TASK_ACK_WAIT,
    discardClips: (clips) => discardClips(store, clips),
    render:
      config.RENDER_STAGE === 'noop'
        ? noopRender
        : (job, signal, report, attempt) =>
            job.data.article
              ? renderArticleTask(job, articles, signal, report, attempt)
              : renderTask(job, pipeline, signal, report, attempt),
  });

  const deps = { log, tracer };
  const subs = [
    serveCommand(m, repurposerCommands.getTask, (req) => queries.view(req.taskId, req.principal.id), deps),
    serveCommand(m, repurposerCommands.taskStats, (req) => queries.stats(req.principal.id), deps),
    serveCommand(m, repurposerCommands.listTasks, queries.list, deps),
    serveCommand(
      m,
      repurposerCommands.createTask,
      async (req) => {
        // The gateway checked with the orchestrator that the account is the principal's; the job carries its owner.
        await storage.checkNotFull(req.accountId, req.principal.id);
        const made = makeEnvelope('render.job.requested.v1', SERVICE, req.accountId, {
          taskId: uuidv7(),
          generationId: null,
          sourceId: null,
          sourceUrl: req.sourceUrl,
          captionsUrl: req.captionsUrl,
          contentType: req.article ? 'article' : 'task',
          options: req.options,
          ownerId: req.principal.id,
          mediaRetentionDays: req.mediaRetentionDays ?? null,
          ...(req.article ? { article: req.article } : {}),
        });
        if (!req.idempotencyKey) {
          await tasks.create(made);
          return queries.view(made.data.taskId, req.principal.id);
        }
        // A retried request (its first answer lost at the gateway) gets the task its key made.
        const job = {
          ...made,
          id: keyedUuid(repurposerCommands.createTask.subject, req.principal.id, req.idempotencyKey),
        };
        return queries.view(await keyedTasks.once(job, () => tasks.create(job)), req.principal.id);
      },
      deps,
    ),
    serveCommand(m, repurposerCommands.listContent, content.list, deps),
    serveCommand(m, repurposerCommands.getContent, content.get, deps),
    serveCommand(
      m,
      repurposerCommands.listFonts,
      async () => ({ defaultFamily: DEFAULT_FONT_FAMILY, items: fonts.families() }),
      deps,
    ),
    serveCommand(m, repurposerCommands.locateContent, content.locate, deps),
    serveCommand(m, repurposerCommands.deleteContent, storage.remove, deps),
    serveCommand(m, repurposerCommands.contentUsage, storage.usage, deps),
    // A claimed backlog item's clips, handed to the claimer at once (the claimed fact below does it too).
    serveCommand(
      m,
      transferContentCommand,
      async (req) => ({
        items: await transferContent(orm.em.fork(), schema, req, { defaultRetentionMs: config.MEDIA_RETENTION, log }),
      }),
      deps,
    ),
    serveCommand(
      m,
      repurposerCommands.taskStates,
      async (req) => ({ states: await queries.states(req.taskIds) }),
      deps,
    ),
    serveCommand(
      m,
      repurposerCommands.cancelTask,
      async (req) => {
        const view = await queries.view(req.taskId, req.principal.id);
        if (['completed', 'failed', 'cancelled'].includes(view.status))
          throw new DomainError('CONFLICT', `the task is already ${view.status}`);
        running.kill(
          await tasks.requestCancel(
            [{ taskId: view.id, accountId: view.accountId, generationId: view.generationId }],
            'cancelled by request',
          ),
          'cancelled by request',
        );
        return queries.view(req.taskId, req.principal.id);
      },
      deps,
    ),
    serveCommand(
      m,
      repurposerCommands.retryTask,
      async (req) => {
        await tasks.retry(req.taskId, req.principal.id);
        return queries.view(req.taskId, req.principal.id);
      },
      deps,
    ),
  ];
  platform.shutdown.add('commands', async () => {
    for (const sub of subs) await sub.drain();
  });

  await ensureConsumer(m, {
    stream: STREAMS.RENDER_JOBS.name,
    durable: RENDER_CONSUMER,
    filterSubject: filters.renderJobs,
    ackWaitMs: config.TASK_ACK_WAIT,
    maxAckPending: 1000,
  });
  const renderConsumer = await startConsumer(m, {
    stream: STREAMS.RENDER_JOBS.name,
    durable: RENDER_CONSUMER,
    schema: RenderJobRequested,
    handler,
    concurrency: config.TASK_WORKER_COUNT,
    retry: { ...retry, maxDeliveries: config.TASK_MAX_RETRIES + 1 + EXTRA_DELIVERIES },
    heartbeatMs: Math.max(500, Math.floor(config.TASK_ACK_WAIT / 3)),
    drainTimeoutMs: config.SHUTDOWN_GRACE,
    onDeadLetter: createRenderJobDeadLetterHandler({ tasks }),
    log,
    tracer,
  });
  platform.shutdown.add('render-consumer', () => renderConsumer.stop(), {
    timeoutMs: config.SHUTDOWN_GRACE + HAND_BACK_MS,
  });

  // The orchestrator owns CONTENT; create it (never update it) if this service starts first.
  await ensureStream(m, STREAMS.CONTENT, { replicas: config.NATS_STREAM_REPLICAS, createOnly: true });
  await ensureConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: CANCEL_CONSUMER,
    filterSubject: filters.cancelRequests,
    ackWaitMs: 30_000,
    maxAckPending: 100,
  });
  const cancelConsumer = await startConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: CANCEL_CONSUMER,
    schema: CancelRequested,
    handler: createCancelRequestHandler({ tasks, running }),
    onDeadLetter: createCancelRequestDeadLetterHandler({ tasks, running, log }),
    concurrency: 2,
    retry: { initialDelayMs: 500, maxDelayMs: 30_000, maxDeliveries: 10, jitter: 0.2 },
    heartbeatMs: 10_000,
    drainTimeoutMs: 5_000,
    log,
    tracer,
  });
  platform.shutdown.add('cancel-consumer', () => cancelConsumer.stop());

  // Claims whose hand-over answer was lost (this service was down): the orchestrator's fact completes them.
  await ensureConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: TRANSFER_CONSUMER,
    filterSubject: filters.backlogTransfers,
    ackWaitMs: 30_000,
    maxAckPending: 100,
  });
  const transferConsumer = await startConsumer(m, {
    stream: STREAMS.CONTENT.name,
    durable: TRANSFER_CONSUMER,
    schema: BacklogItemTransferred,
    handler: async (event) => {
      await transferContent(orm.em.fork(), schema, event.data, {
        defaultRetentionMs: config.MEDIA_RETENTION,
        log,
      });
    },
    concurrency: 4,
    retry: { initialDelayMs: 500, maxDelayMs: 30_000, maxDeliveries: 20, jitter: 0.2 },
    heartbeatMs: 10_000,
    drainTimeoutMs: 5_000,
    log,
    tracer,
  });
  platform.shutdown.add('transfer-consumer', () => transferConsumer.stop());
}
