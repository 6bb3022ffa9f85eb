import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runReadiness, type ReadinessCheck } from './readiness.ts';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny HTTP server for probes: `/healthz` answers 200 while the process runs; `/readyz` answers
 * 200 only when every dependency check passes, else 503, listing each check either way.
 */
export async function startHealthServer(options: {
  host: string;
  port: number;
  service: string;
  checks: Record<string, ReadinessCheck>;
  /** Prometheus exposition for `/metrics`. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET' } });
      return;
    }
    if (path === '/healthz') {
      send(200, { status: 'ok', service: options.service });
      return;
    }
    if (path === '/readyz') {
      void runReadiness(options.checks).then((r) =>
        send(r.ready ? 200 : 503, {
          status: r.ready ? 'ready' : 'not_ready',
          service: options.service,
          checks: r.checks,
        }),
      );
      return;
    }
    const metrics = options.metrics;
    if (path === '/metrics' && metrics) {
      metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
          res.end(body);
        },
        (err: unknown) =>
          send(500, { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } }),
      );
      return;
    }
    send(404, { error: { code: 'NOT_FOUND', message: 'only /healthz, /readyz and /metrics live here' } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
