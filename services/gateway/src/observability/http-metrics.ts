import type { FastifyInstance } from 'fastify';
import type { Metrics } from '@reelforge/telemetry';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * HTTP latency by method, route (the route's pattern, so ids do not multiply the series) and
 * status; and the live connections (WebSocket and SSE) open on this instance.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics, liveConnections: () => number): void {
  const duration = metrics.histogram(
    'reelforge_http_request_duration_seconds',
    'HTTP request duration, by method, route pattern and status',
    ['method', 'route', 'status'],
    SECONDS,
  );
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  metrics.gaugeFrom(
    'reelforge_live_connections',
    'Open WebSocket and SSE connections on this instance',
    [],
    async (set) => set({}, liveConnections()),
  );
}
