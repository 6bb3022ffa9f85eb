import { RenderJobRequested, STREAMS, filters } from '@reelforge/contracts';
import { ensureConsumer, publishEvent, startConsumer } from '@reelforge/messaging';
import { startOutboxRelay } from '@reelforge/persistence';
import type { Platform } from '@reelforge/service-kit';
import type { RepurposerConfig } from './config.ts';
import { createRenderJobDeadLetterHandler, createRenderJobHandler } from './handlers/render-job.ts';
import { createLocalMediaStore } from './media-store/media-store.ts';
import { createTaskStore } from './tasks/task-store.ts';

export const SERVICE = 'repurposer';
const RENDER_CONSUMER = 'repurposer-render';

/** Wires the repurposer onto a started platform: the render-job work queue and the outbox relay. */
export async function createRepurposer(platform: Platform, config: RepurposerConfig): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const relay = startOutboxRelay({ orm, schema, log, publish: (row) => publishEvent(m, row.subject, row.envelope).then(() => undefined) });
  platform.shutdown.add('outbox-relay', () => relay.stop());

  const tasks = createTaskStore({ orm, schema, service: SERVICE, afterCommit: () => relay.kick() });
  const handler = createRenderJobHandler({
    m,
    service: SERVICE,
    tasks,
    taskTimeoutMs: config.TASK_TIMEOUT,
    pipeline: {
      ffmpegPath: config.FFMPEG_PATH,
      ffprobePath: config.FFPROBE_PATH,
      ffmpegThreads: config.FFMPEG_THREADS,
      tempDir: config.TEMP_DIR,
      store: createLocalMediaStore(config.MEDIA_ROOT),
      fetchLimits: { maxBytes: config.MAX_SOURCE_BYTES, timeoutMs: config.SOURCE_FETCH_TIMEOUT, maxRedirects: 5, allowPrivate: config.SOURCE_URL_ALLOW_PRIVATE },
      maxSourceSeconds: 4 * 3600,
      maxSourcePixels: 4096 * 2160,
    },
  });

  await ensureConsumer(m, {
    stream: STREAMS.RENDER_JOBS.name,
    durable: RENDER_CONSUMER,
    filterSubject: filters.renderJobs,
    ackWaitMs: config.TASK_ACK_WAIT,
    maxAckPending: 1000,
  });
  const consumer = await startConsumer(m, {
    stream: STREAMS.RENDER_JOBS.name,
    durable: RENDER_CONSUMER,
    schema: RenderJobRequested,
    handler,
    concurrency: config.TASK_WORKER_COUNT,
    retry: { initialDelayMs: config.TASK_INITIAL_RETRY_DELAY, maxDelayMs: config.TASK_MAX_RETRY_DELAY, maxDeliveries: config.TASK_MAX_RETRIES + 1, jitter: 0.2 },
    heartbeatMs: Math.max(500, Math.floor(config.TASK_ACK_WAIT / 3)),
    drainTimeoutMs: 20_000,
    onDeadLetter: createRenderJobDeadLetterHandler({ tasks }),
    log,
    tracer,
  });
  platform.shutdown.add('render-consumer', () => consumer.stop());
}
