import type { FastifyInstance } from 'fastify';
import { DomainError } from '@reelforge/contracts';

/** The first path (`body/name`) at which a string holds U+0000, or undefined. */
function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}/${key}`;
    const found = nulPath(inner, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * PostgreSQL text cannot hold U+0000: a NUL in any string the API receives (body, query, path)
 * would reach a query and fail there as a 500. It is refused up front as what it is, bad input.
 */
export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const where = nulPath(req.params, 'params') ?? nulPath(req.query, 'querystring') ?? nulPath(req.body, 'body');
    if (where) throw new DomainError('VALIDATION_FAILED', 'text may not contain NUL (U+0000) characters', { field: where });
  });
}
