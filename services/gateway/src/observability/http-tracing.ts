import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * A server span per HTTP request, continuing the caller's `traceparent` when it sends one, and
 * active for the rest of the request: the commands and events the handler causes join its trace.
 * The response carries the trace id (`x-trace-id`) beside `x-request-id`, and the span the request
 * id, so either finds the other.
 */
export function registerHttpTracing(app: FastifyInstance, tracer: Tracer): void {
  // Callback style on purpose: `done` runs the rest of the request inside the span's context.
  app.addHook('onRequest', (req, reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers, {
      keys: (h) => Object.keys(h),
      get: (h, key) => {
        const v = h[key];
        return Array.isArray(v) ? v[0] : v;
      },
    });
    const route = req.routeOptions.url ?? 'unmatched';
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'http.route': route,
          'url.path': req.url.split('?')[0] ?? req.url,
          'http.request_id': req.id,
        },
      },
      parent,
    );
    spans.set(req, span);
    void reply.header('x-trace-id', span.spanContext().traceId);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onError', async (req, _reply, err) => {
    spans.get(req)?.recordException(err);
  });
  app.addHook('onResponse', async (req, reply) => {
    const span = spans.get(req);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
