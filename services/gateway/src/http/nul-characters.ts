import type { FastifyInstance } from 'fastify';
import { DomainError } from '@reelforge/contracts';

// A UTF-16 surrogate without its partner: JSON can carry it (`"\ud800"`), UTF-8 and PostgreSQL cannot.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** The first path (`body/name`) at which a string holds U+0000 or a lone surrogate, or undefined. */
function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (unstorable(key)) return `${path}/${key}`;
    const found = nulPath(inner, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * PostgreSQL text cannot hold U+0000 nor half a surrogate pair: such a string anywhere the API
 * receives (body, query, path) would reach a query and fail there as a 500. It is refused up front
 * as what it is, bad input.
 */
export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const where = nulPath(req.params, 'params') ?? nulPath(req.query, 'querystring') ?? nulPath(req.body, 'body');
    if (where)
      throw new DomainError(
        'VALIDATION_FAILED',
        'text may not contain NUL (U+0000) characters or unpaired UTF-16 surrogates',
        { field: where },
      );
  });
}
