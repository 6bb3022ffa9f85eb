import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import type { Uploads } from '../uploads/uploads.ts';
import { receiveUpload } from '../uploads/receive-upload.ts';
import { ErrorResponse, IdParam, errorResponses } from '../http/schemas.ts';

const UploadView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Union([Type.Literal('video'), Type.Literal('image')], {
    description: 'video: usable as a source; image (PNG, JPEG, WebP): usable as a logo (options.logo.uploadId)',
  }),
  sizeBytes: Type.Integer(),
  durationSeconds: Type.Union([Type.Number(), Type.Null()], { description: 'null for an image' }),
  width: Type.Integer(),
  height: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

/** `POST /api/v1/uploads`: one video or image as multipart `file`, streamed, size-limited (images far lower), sniffed. */
export function registerUploadRoutes(
  app: GatewayApp,
  deps: { uploads: Uploads; maxBytes: number; maxImageBytes: number; idleMs: number },
): void {
  app.post(
    '/api/v1/uploads',
    {
      schema: {
        consumes: ['multipart/form-data'],
        response: {
          201: UploadView,
          408: ErrorResponse,
          413: ErrorResponse,
          415: ErrorResponse,
          422: ErrorResponse,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const view = await receiveUpload(req, deps.uploads, deps, ['file']);
      return reply.status(201).send(view);
    },
  );
  app.delete(
    '/api/v1/uploads/:uploadId',
    { schema: { params: IdParam('uploadId'), response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await deps.uploads.remove(req.principal, req.params.uploadId);
      return reply.status(204).send(null);
    },
  );
}
