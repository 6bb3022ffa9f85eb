import type { GatewayApp } from '../http/gateway-app.ts';
import { Type } from '@sinclair/typebox';
import { DomainError } from '@reelforge/contracts';
import type { Uploads } from '../uploads/uploads.ts';
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
      if (!req.isMultipart())
        throw new DomainError(
          'UNSUPPORTED_MEDIA_TYPE',
          'send the video or image as multipart/form-data with a field named "file"',
        );
      let part;
      try {
        part = await req.file({ limits: { fileSize: deps.maxBytes, files: 1, fields: 0, parts: 2 } });
      } catch (err) {
        if (err instanceof DomainError || (err as { statusCode?: number }).statusCode) throw err;
        // The multipart parser's own complaint (no boundary, a cut-off part): the client's body.
        throw new DomainError(
          'VALIDATION_FAILED',
          `the multipart body cannot be read: ${err instanceof Error ? err.message : String(err)}`,
          { field: 'body' },
        );
      }
      if (!part || part.fieldname !== 'file')
        throw new DomainError('VALIDATION_FAILED', 'expected one file in a field named "file"', { field: 'body/file' });
      const view = await deps.uploads.receive(req.principal, part.file, () => part.file.truncated, {
        maxBytes: deps.maxBytes,
        maxImageBytes: deps.maxImageBytes,
        idleMs: deps.idleMs,
      });
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
