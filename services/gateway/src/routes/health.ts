import type { GatewayApp } from '../http/gateway-app.ts';
import { runReadiness, type ReadinessCheck } from '@reelforge/service-kit';

/** Liveness and readiness; the only routes without authentication. */
export function registerHealthRoutes(app: GatewayApp, checks: Record<string, ReadinessCheck>): void {
  app.get('/healthz', { config: { public: true }, logLevel: 'warn' }, async () => ({
    status: 'ok',
    service: 'gateway',
  }));
  app.get('/readyz', { config: { public: true }, logLevel: 'warn' }, async (_req, reply) => {
    const report = await runReadiness(checks);
    return reply
      .status(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not_ready', service: 'gateway', checks: report.checks });
  });
}
