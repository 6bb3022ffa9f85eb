import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { repurposerCommands, type Principal } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import { parseByteRange } from './byte-range.ts';
import type { Forward } from './forward.ts';
import { ErrorResponse, errorResponses } from './schemas.ts';

export const FileResponses = {
  200: Type.Any({ description: 'The file (video/mp4 or image/jpeg)' }),
  206: Type.Any({ description: 'The requested byte range' }),
  416: ErrorResponse,
  ...errorResponses,
};

/**
 * Streams a clip or its thumbnail with HTTP Range support. The owner locates the file for the
 * principal (a 404 for anyone else's); clients only ever name ids, never places in the store.
 */
export async function sendContentFile(
  deps: { forward: Forward; store: MediaStore },
  request: { principal: Principal; contentId: string; kind: 'video' | 'thumbnail'; range: string | undefined },
  reply: FastifyReply,
  maxAgeSeconds = 3600,
) {
  const { principal, contentId, kind } = request;
  const found = await deps.forward(repurposerCommands.locateContent, { principal, contentId, kind });
  const path = deps.store.pathOf(found.mediaKey);
  const size = found.sizeBytes;
  const r = parseByteRange(request.range, size);
  void reply.header('accept-ranges', 'bytes');
  if (r.kind === 'unsatisfiable') {
    return reply
      .status(416)
      .header('content-range', `bytes */${size}`)
      .send({ error: { code: 'VALIDATION_FAILED', message: `range not satisfiable for ${size} bytes` } });
  }
  void reply.header('content-type', found.contentType).header('cache-control', `private, max-age=${maxAgeSeconds}`);
  if (r.kind === 'partial') {
    return reply
      .status(206)
      .header('content-range', `bytes ${r.start}-${r.end}/${size}`)
      .header('content-length', r.end - r.start + 1)
      .send(createReadStream(path, { start: r.start, end: r.end }));
  }
  return reply.status(200).header('content-length', size).send(createReadStream(path));
}
