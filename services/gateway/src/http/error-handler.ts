import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, httpStatusOf, type ErrorBody, type ErrorCode } from '@reelforge/contracts';

/** Maps Fastify's own error codes to the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/**
 * The one error renderer: every error leaves as `{ error: { code, message, details? } }` with the
 * catalogue's status. Unknown errors are logged with their stack and answered as a bare INTERNAL.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DomainError | Error, request, reply) => {
    let body: ErrorBody;
    if (err instanceof DomainError) {
      body = err.toBody();
    } else if ('validation' in err && err.validation) {
      const first = err.validation[0];
      const field = first ? `${err.validationContext ?? 'body'}${first.instancePath || ''}` : undefined;
      const missing =
        first?.keyword === 'required' ? `/${(first.params as { missingProperty?: string }).missingProperty ?? ''}` : '';
      const extra =
        first?.keyword === 'additionalProperties'
          ? `/${(first.params as { additionalProperty?: string }).additionalProperty ?? ''}`
          : '';
      body = {
        code: 'VALIDATION_FAILED',
        message: err.message,
        details: { field: `${field ?? ''}${missing}${extra}` },
      };
    } else if ('code' in err && typeof err.code === 'string' && FASTIFY_CODES[err.code]) {
      body = { code: FASTIFY_CODES[err.code]!, message: err.message };
    } else if ('code' in err && err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      // Only the body parser's own error is the client's bad JSON: a SyntaxError from our code is ours (500).
      body = { code: 'INVALID_JSON', message: 'request body is not valid JSON' };
    } else if (
      'statusCode' in err &&
      typeof err.statusCode === 'number' &&
      err.statusCode >= 400 &&
      err.statusCode < 500
    ) {
      body = {
        code:
          err.statusCode === 413
            ? 'PAYLOAD_TOO_LARGE'
            : err.statusCode === 415
              ? 'UNSUPPORTED_MEDIA_TYPE'
              : err.statusCode === 429
                ? 'RATE_LIMITED'
                : 'VALIDATION_FAILED',
        message: err.message,
      };
    } else {
      request.log.error({ err }, 'unhandled error');
      body = { code: 'INTERNAL', message: 'internal error' };
    }
    // Every 5xx is ours (or an owner's) to look at: logged, whatever its code.
    if (err instanceof DomainError && httpStatusOf(body.code) >= 500) {
      // An owner that is down or slow is an operations matter (warn); a 500 or 502 is a bug (error).
      if (body.code === 'SERVICE_UNAVAILABLE') request.log.warn({ err, code: body.code }, 'server-side error');
      else request.log.error({ err, code: body.code }, 'server-side error');
    }
    void reply.status(httpStatusOf(body.code)).send({ error: body });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
