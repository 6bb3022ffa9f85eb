import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { DomainError } from '@reelforge/contracts';
import type { Uploads } from '../uploads/uploads.ts';
import { ErrorResponse, errorResponses } from '../http/schemas.ts';

const UploadView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sizeBytes: Type.Integer(),
  durationSeconds: Type.Number(),
  width: Type.Integer(),
  height: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

/** `POST /api/v1/uploads`: one video as multipart `file`, streamed, size-limited, sniffed. */
export function registerUploadRoutes(app: FastifyInstance, deps: { uploads: Uploads; maxBytes: number; idleMs: number }): void {
  app.post(
    '/api/v1/uploads',
    { schema: { consumes: ['multipart/form-data'], response: { 201: UploadView, 408: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, ...errorResponses } } },
    async (req, reply) => {
      if (!req.isMultipart()) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send the video as multipart/form-data with a field named "file"');
      const part = await req.file({ limits: { fileSize: deps.maxBytes, files: 1, fields: 0, parts: 2 } });
      if (!part || part.fieldname !== 'file') throw new DomainError('VALIDATION_FAILED', 'expected one file in a field named "file"', { field: 'body/file' });
      const view = await deps.uploads.receive(req.principal, part.file, () => part.file.truncated, { maxBytes: deps.maxBytes, idleMs: deps.idleMs });
      return reply.status(201).send(view);
    },
  );
}
