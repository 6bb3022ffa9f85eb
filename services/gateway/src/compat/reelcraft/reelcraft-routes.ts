import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { CreateArticleBody, repurposerCommands, type Principal, type TaskView } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import type { MediaLinks } from '../../auth/media-links.ts';
import { startArticleVideo } from '../../articles/start-article-video.ts';
import type { Forward } from '../../http/forward.ts';
import type { GatewayApp } from '../../http/gateway-app.ts';
import { IdParam } from '../../http/schemas.ts';
import { sendContentFile } from '../../http/send-content-file.ts';
import { handleWsConnection } from '../../live/ws-connection.ts';
import { wsConnectionDeps, type WsRouteDeps } from '../../routes/ws.ts';
import type { SourcePolicy } from '../../uploads/resolve-source.ts';
import type { CompatAccounts } from '../compat-account.ts';
import { offsetPage } from '../offset-page.ts';
import { JOB_STATUS, TASK_STATUSES, jobView, reelcraftMessage, videoView } from './reelcraft-views.ts';

export interface ReelcraftDeps extends WsRouteDeps {
  forward: Forward;
  links: MediaLinks;
  store: MediaStore;
  sourcePolicy: SourcePolicy;
  accounts: CompatAccounts;
}

/** Marks a route of a compat surface: credential-less callers may be let in (compat-identity.ts). */
const compat = { compat: true } as const;
const hide = { hide: true } as const;
/** How long a listed video's `file_path` plays without credentials. */
const FILE_LINK_TTL_MS = 3600_000;
const OffsetQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};

/**
 * ReelCraft's job API (its "Background Job System" document) over v1: a job is an article task,
 * a video is its narrated video. Every call goes through the same owner commands as v1, scoped by
 * the caller. Mapping and differences: docs/compat.md.
 */
export function registerReelcraftRoutes(app: GatewayApp, deps: ReelcraftDeps): void {
  const { forward } = deps;
  const videoIdOf = async (principal: Principal, task: TaskView) => {
    if (task.status !== 'completed') return null;
    const { items } = await forward(repurposerCommands.listContent, { principal, taskId: task.id, limit: 1 });
    return items[0]?.id ?? null;
  };
  const withVideo = async (principal: Principal, task: TaskView) => jobView(task, await videoIdOf(principal, task));

  app.post(
    '/api/generate-video',
    {
      config: compat,
      schema: {
        ...hide,
        // Its documented body is `{url}`; v1's article options are accepted beside it (a Reelforge extension).
        // Extra fields are ignored, as its server ignored them.
        body: Type.Object(CreateArticleBody.properties),
      },
    },
    async (req) => {
      const account = await deps.accounts.findOrCreate(req.principal, 'ReelCraft');
      const task = await startArticleVideo(deps, { principal: req.principal, accountId: account.id, body: req.body });
      return {
        job_id: task.id,
        status: JOB_STATUS[task.status],
        message: 'Video generation job created. Use job_id to track progress.',
      };
    },
  );

  app.get('/api/jobs/:job_id', { config: compat, schema: { ...hide, params: IdParam('job_id') } }, async (req) =>
    withVideo(
      req.principal,
      await forward(repurposerCommands.getTask, { principal: req.principal, taskId: req.params.job_id }),
    ),
  );

  app.get(
    '/api/jobs',
    {
      config: compat,
      schema: {
        ...hide,
        querystring: Type.Object(
          { status: Type.Optional(Type.Union(Object.keys(TASK_STATUSES).map((s) => Type.Literal(s)))), ...OffsetQuery },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { status, limit, offset } = req.query;
      const principal = req.principal;
      const statuses = status ? TASK_STATUSES[status]! : [undefined];
      const tasks = await offsetPage(
        statuses.map(
          (s) => (cursor, pageLimit) =>
            forward(repurposerCommands.listTasks, {
              principal,
              kind: 'article',
              limit: pageLimit,
              ...(s ? { status: s } : {}),
              ...(cursor ? { cursor } : {}),
            }),
        ),
        offset,
        limit,
      );
      const jobs = await Promise.all(tasks.map((t) => withVideo(principal, t)));
      return { jobs, count: jobs.length };
    },
  );

  app.post(
    '/api/jobs/:job_id/cancel',
    { config: compat, schema: { ...hide, params: IdParam('job_id') } },
    async (req) => {
      const id = req.params.job_id;
      await forward(repurposerCommands.cancelTask, { principal: req.principal, taskId: id });
      return { status: 'cancelled', message: `Job ${id} cancelled` };
    },
  );

  app.get(
    '/api/videos',
    {
      config: compat,
      schema: { ...hide, querystring: Type.Object(OffsetQuery, { additionalProperties: false }) },
    },
    async (req) => {
      const { limit, offset } = req.query;
      const principal = req.principal;
      const items = await offsetPage(
        [
          (cursor, pageLimit) =>
            forward(repurposerCommands.listContent, {
              principal,
              kind: 'article',
              limit: pageLimit,
              ...(cursor ? { cursor } : {}),
            }),
        ],
        offset,
        limit,
      );
      const expiresAt = Date.now() + FILE_LINK_TTL_MS;
      const videos = items.map((c) =>
        videoView(c, `/api/v1/media/${deps.links.sign({ principal, contentId: c.id, kind: 'video', expiresAt })}`),
      );
      return { videos, count: videos.length };
    },
  );

  // Its document names the file route `GET /api/videos/{video_name}`; `/file` is served as well.
  for (const url of ['/api/videos/:video_id', '/api/videos/:video_id/file']) {
    app.get(url, { config: compat, schema: { ...hide, params: IdParam('video_id') } }, async (req, reply) =>
      sendContentFile(
        deps,
        { principal: req.principal, contentId: req.params.video_id, kind: 'video', range: req.headers.range },
        reply,
      ),
    );
  }

  app.delete(
    '/api/videos/:video_id',
    { config: compat, schema: { ...hide, params: IdParam('video_id') } },
    async (req) => {
      const id = req.params.video_id;
      await forward(repurposerCommands.deleteContent, { principal: req.principal, contentId: id });
      return { status: 'deleted', message: `Video ${id} deleted` };
    },
  );

  app.get(
    '/ws',
    {
      websocket: true,
      config: compat,
      preHandler: async (req) => {
        const release = deps.caps.acquire(req.principal.id);
        req.raw.socket.once('close', release);
      },
      schema: hide,
    },
    (socket, req) => {
      handleWsConnection(
        socket,
        req.principal,
        randomUUID(),
        { ...wsConnectionDeps(deps), dialect: reelcraftMessage },
        req.raw.socket,
      );
    },
  );
}
