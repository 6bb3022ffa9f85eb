import type { FastifyRequest } from 'fastify';
import { DomainError } from '@reelforge/contracts';
import type { Uploads } from './uploads.ts';

export interface UploadLimits {
  maxBytes: number;
  maxImageBytes: number;
  idleMs: number;
}

/**
 * One video or image from a multipart body, in a field of one of `fields`: streamed to the store
 * within the limits and sniffed (uploads.ts). Used by `POST /api/v1/uploads` and by the compat
 * surfaces' upload routes.
 */
export async function receiveUpload(req: FastifyRequest, uploads: Uploads, limits: UploadLimits, fields: string[]) {
  const named = fields.map((f) => `"${f}"`).join(' or ');
  if (!req.isMultipart())
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `send the video or image as multipart/form-data with a field named ${named}`,
    );
  let part;
  try {
    part = await req.file({ limits: { fileSize: limits.maxBytes, files: 1, fields: 0, parts: 2 } });
  } catch (err) {
    if (err instanceof DomainError || (err as { statusCode?: number }).statusCode) throw err;
    // The multipart parser's own complaint (no boundary, a cut-off part): the client's body.
    throw new DomainError(
      'VALIDATION_FAILED',
      `the multipart body cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      { field: 'body' },
    );
  }
  if (!part || !fields.includes(part.fieldname))
    throw new DomainError('VALIDATION_FAILED', `expected one file in a field named ${named}`, {
      field: `body/${fields[0]!}`,
    });
  return uploads.receive(req.principal, part.file, () => part.file.truncated, limits);
}
