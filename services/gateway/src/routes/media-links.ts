import { Type } from '@sinclair/typebox';
import { repurposerCommands } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import type { MediaLinks } from '../auth/media-links.ts';
import type { Forward } from '../http/forward.ts';
import type { GatewayApp } from '../http/gateway-app.ts';
import { IdParam, errorResponses } from '../http/schemas.ts';
import { FileResponses, sendContentFile } from '../http/send-content-file.ts';

const DEFAULT_TTL_SECONDS = 3600;
const MAX_TTL_SECONDS = 24 * 3600;

/**
 * `POST /api/v1/content/:id/links` signs short-lived URLs for a clip and its thumbnail that a
 * `<video>`/`<img>` element (or a CDN, or a colleague) can fetch without a bearer header, with
 * Range requests; `GET /api/v1/media/:token` serves them. See auth/media-links.ts.
 */
export function registerMediaLinkRoutes(
  app: GatewayApp,
  deps: { forward: Forward; store: MediaStore; links: MediaLinks },
): void {
  const LinksBody = Type.Object(
    {
      ttlSeconds: Type.Optional(
        Type.Integer({
          minimum: 10,
          maximum: MAX_TTL_SECONDS,
          description: `How long the links work (default ${DEFAULT_TTL_SECONDS} s, at most a day)`,
        }),
      ),
    },
    { additionalProperties: false },
  );
  const Links = Type.Object({
    videoUrl: Type.String({ description: 'Relative to the API origin; no Authorization header needed' }),
    thumbnailUrl: Type.Union([Type.String(), Type.Null()]),
    expiresAt: Type.String({ format: 'date-time' }),
  });
  app.post(
    '/api/v1/content/:contentId/links',
    {
      // The body is optional: no body means the defaults (Fastify validates a missing body as null).
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        params: IdParam('contentId'),
        body: LinksBody,
        response: { 200: Links, ...errorResponses },
      },
    },
    async (req) => {
      const { contentId } = req.params;
      // Signed only for what the caller can see now: a stranger's id is a 404 here, not a link.
      const content = await deps.forward(repurposerCommands.getContent, { principal: req.principal, contentId });
      const expiresAt = Date.now() + (req.body.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000;
      const url = (kind: 'video' | 'thumbnail') =>
        `/api/v1/media/${deps.links.sign({ principal: req.principal, contentId, kind, expiresAt })}`;
      return {
        videoUrl: url('video'),
        thumbnailUrl: content.hasThumbnail ? url('thumbnail') : null,
        expiresAt: new Date(Math.ceil(expiresAt / 1000) * 1000).toISOString(),
      };
    },
  );
  app.get(
    '/api/v1/media/:token',
    {
      // Authenticated by the link itself (auth-hook.ts), not by a header.
      config: { mediaLink: true },
      schema: {
        params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 2048 }) }),
        response: FileResponses,
      },
    },
    async (req, reply) => {
      const link = req.mediaLink!;
      // A browser may cache the bytes, but never past the link's own life.
      const maxAge = Math.max(0, Math.min(3600, Math.floor((link.expiresAt - Date.now()) / 1000)));
      // A link is made to be embedded: a <video> on the caller's own site (another origin) may load
      // it. The global policy (helmet) is same-origin; the link itself is the authorisation here.
      void reply.header('cross-origin-resource-policy', 'cross-origin');
      return sendContentFile(
        deps,
        { principal: link.principal, contentId: link.contentId, kind: link.kind, range: req.headers.range },
        reply,
        maxAge,
      );
    },
  );
}
