import { Type } from '@sinclair/typebox';
import { DomainError, TRANSITIONS, repurposerCommands, type RenderOptions } from '@reelforge/contracts';
import type { ReadinessCheck } from '@reelforge/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MediaLinks } from '../../auth/media-links.ts';
import type { Forward } from '../../http/forward.ts';
import type { GatewayApp } from '../../http/gateway-app.ts';
import { IdParam } from '../../http/schemas.ts';
import { holdLiveConnection, type ConnectionCaps } from '../../live/connection-caps.ts';
import { streamStatus, type SseDeps } from '../../live/sse-stream.ts';
import { taskStatusMessage, type StatusEvent } from '../../live/status-event.ts';
import { receiveUpload, type UploadLimits } from '../../uploads/receive-upload.ts';
import { resolveSource, type SourcePolicy } from '../../uploads/resolve-source.ts';
import type { Uploads } from '../../uploads/uploads.ts';
import type { CompatAccounts } from '../compat-account.ts';
import { clipView, supoclipEvents, taskDetails } from './supoclip-views.ts';

export interface SupoclipDeps extends SseDeps {
  forward: Forward;
  uploads: Uploads;
  uploadLimits: UploadLimits;
  caps: ConnectionCaps;
  checks: Record<string, ReadinessCheck>;
  links: MediaLinks;
  sourcePolicy: SourcePolicy;
  accounts: CompatAccounts;
}

const compat = { compat: true } as const;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const CLIP_LINK_TTL_MS = 3600_000;
const Color = Type.String({ pattern: '^#[0-9A-Fa-f]{6}$' });
const UPLOAD_PATH = /^upload:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * SupoClip's task API (its "Backend Refactoring Guide": health, `POST /tasks/`, task details, clips,
 * progress over SSE, fonts and transitions) over v1. A task is a v1 clips task in the caller's
 * oldest account. Mapping and differences: docs/compat.md.
 */
export function registerSupoclipRoutes(app: GatewayApp, deps: SupoclipDeps): void {
  const { forward } = deps;

  // "Check Health Endpoints": public, like every health route; the broker answers for Redis.
  const health = (check: string | undefined, field: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    if (!check) return { status: 'healthy' };
    try {
      await deps.checks[check]!();
      return { status: 'healthy', [field]: 'connected' };
    } catch (err) {
      return reply.status(503).send({
        status: 'unhealthy',
        [field]: 'disconnected',
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
  app.get('/health', { config: { public: true }, logLevel: 'warn', schema: { hide: true } }, health(undefined, ''));
  app.get(
    '/health/db',
    { config: { public: true }, logLevel: 'warn', schema: { hide: true } },
    health('database', 'database'),
  );
  app.get(
    '/health/redis',
    { config: { public: true }, logLevel: 'warn', schema: { hide: true } },
    health('nats', 'redis'),
  );

  const CreateTask = Type.Object({
    // An http(s) URL, or the `video_path` its `POST /upload` answered (`upload:<id>`).
    source: Type.Object({ url: Type.String({ minLength: 1, maxLength: 4096, pattern: '^(https?://|upload:)' }) }),
    font_options: Type.Optional(
      Type.Object({
        font_family: Type.Optional(Type.String({ maxLength: 100 })),
        font_size: Type.Optional(Type.Integer({ minimum: 8, maximum: 300 })),
        font_color: Type.Optional(Color),
      }),
    ),
  });
  for (const url of ['/tasks', '/tasks/'])
    app.post(url, { config: compat, schema: { hide: true, body: CreateTask } }, async (req) => {
      const { source, font_options: font } = req.body;
      const uploadId = UPLOAD_PATH.exec(source.url)?.[1];
      if (source.url.startsWith('upload:') && !uploadId)
        throw new DomainError('VALIDATION_FAILED', 'source.url: upload:<id> needs the id POST /upload answered', {
          field: 'body/source/url',
        });
      // The caller's own upload (404 otherwise), or a URL that passes the SSRF policy.
      const resolved = await resolveSource(
        uploadId ? { uploadId } : { url: source.url },
        req.principal,
        deps.uploads,
        deps.sourcePolicy,
      );
      const account = await deps.accounts.findOrCreate(req.principal, 'SupoClip');
      // A family the render workers cannot draw (its default is TikTok's own font) falls back to ours.
      const fonts = font?.font_family ? await forward(repurposerCommands.listFonts, {}) : undefined;
      const family = fonts?.items.some((f) => f.family === font?.font_family) ? font?.font_family : undefined;
      const captionFont = {
        ...(family ? { family } : {}),
        ...(font?.font_size ? { size: font.font_size } : {}),
        ...(font?.font_color ? { color: font.font_color } : {}),
      };
      const options: RenderOptions = Object.keys(captionFont).length ? { captions: { font: captionFont } } : {};
      const task = await forward(repurposerCommands.createTask, {
        principal: req.principal,
        accountId: account.id,
        sourceUrl: resolved.url,
        captionsUrl: null,
        options,
        mediaRetentionDays: account.mediaRetentionDays,
      });
      return { task_id: task.id, job_id: task.id, message: 'Task created and queued for processing' };
    });

  const TaskParam = IdParam('task_id');
  app.get('/tasks/:task_id', { config: compat, schema: { hide: true, params: TaskParam } }, async (req) =>
    taskDetails(await forward(repurposerCommands.getTask, { principal: req.principal, taskId: req.params.task_id })),
  );

  app.get('/tasks/:task_id/clips', { config: compat, schema: { hide: true, params: TaskParam } }, async (req) => {
    const principal = req.principal;
    const taskId = req.params.task_id;
    await forward(repurposerCommands.getTask, { principal, taskId }); // 404 unless the caller's
    const { items } = await forward(repurposerCommands.listContent, { principal, taskId, limit: 100 });
    const expiresAt = Date.now() + CLIP_LINK_TTL_MS;
    const clips = items
      .sort((a, b) => a.clipIndex - b.clipIndex)
      .map((c) =>
        clipView(c, `/api/v1/media/${deps.links.sign({ principal, contentId: c.id, kind: 'video', expiresAt })}`),
      );
    return { task_id: taskId, clips, total_clips: clips.length };
  });

  app.get(
    '/tasks/:task_id/progress',
    {
      config: compat,
      preHandler: holdLiveConnection(deps.caps),
      schema: { hide: true, params: TaskParam },
    },
    async (req, reply) => {
      const taskId = req.params.task_id;
      const getTask = () => forward(repurposerCommands.getTask, { principal: req.principal, taskId });
      const task = await getTask(); // 404 unless the caller's: nothing is streamed before this
      await streamStatus(req, reply, deps, {
        id: taskId,
        accountId: task.accountId,
        keep: (e: StatusEvent) => e.taskId === taskId,
        // The current state first, as its `status` event.
        snapshot: async () => ({ ...taskStatusMessage(await getTask()), snapshot: true }),
        isLast: (m) => m.type === 'job_status' && TERMINAL.has(String((m.status as { status?: unknown }).status)),
        dialect: supoclipEvents,
      });
    },
  );

  // "Unchanged Endpoints": `POST /upload`, a video as multipart (`video` or `file`); its `video_path` starts a task.
  app.post('/upload', { config: compat, schema: { hide: true, consumes: ['multipart/form-data'] } }, async (req) => {
    const view = await receiveUpload(req, deps.uploads, deps.uploadLimits, ['video', 'file']);
    if (view.kind !== 'video') {
      await deps.uploads.remove(req.principal, view.id);
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'upload a video here (images are logos: POST /api/v1/uploads)');
    }
    return { message: 'Video uploaded successfully', video_path: `upload:${view.id}`, upload_id: view.id };
  });

  app.get('/fonts', { config: compat, schema: { hide: true } }, async () => forward(repurposerCommands.listFonts, {}));
  app.get('/transitions', { config: compat, schema: { hide: true } }, async () => ({
    default: 'fade',
    items: [...TRANSITIONS],
  }));
}
