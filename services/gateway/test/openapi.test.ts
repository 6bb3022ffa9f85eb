import { describe, expect, it } from 'vitest';
import { DomainError } from '@reelforge/contracts';
import { createLocalMediaStore } from '@reelforge/media-store';
import type { Messaging } from '@reelforge/messaging';
import type { MikroORM } from '@reelforge/persistence';
import { memoryLogger } from '@reelforge/testing';
import { createTokenVerifier } from '../src/auth/verify-token.ts';
import { buildGatewayApp } from '../src/create-gateway.ts';
import { createSubscriptionRegistry } from '../src/live/subscription-registry.ts';

// The OpenAPI document is generated from the routes' own schemas: every route is in it, with its
// responses. (Only the document is under test, so no owner answers: forward always refuses.)
describe('OpenAPI document', () => {
  it('lists every registered route with its responses, and serves the docs UI without a token', async () => {
    const app = await buildGatewayApp({
      log: memoryLogger('gateway').log,
      store: createLocalMediaStore('/nonexistent'),
      policy: {
        corsOrigins: [],
        rateLimitPerMinute: 1000,
        rateLimitPerIpPerMinute: 1000,
        authFailuresPerMinute: 1000,
        sourceUrlAllowPrivate: false,
        maxUploadBytes: 1024,
        ffprobePath: 'ffprobe',
      },
      orm: {} as MikroORM,
      messaging: {} as Messaging,
      schema: 'gateway',
      forward: async () => {
        throw new DomainError('SERVICE_UNAVAILABLE', 'no owner in this test');
      },
      verifyToken: createTokenVerifier({ secret: 'x'.repeat(32) }),
      registry: createSubscriptionRegistry(),
      checks: {},
      heartbeatMs: 30_000,
      maxBufferedBytes: 1 << 20,
    });
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect((doc as unknown as { info: { description: string } }).info.description).toContain('/api/v1/ws');

    const api = app.registeredRoutes.filter((r) => r.url.startsWith('/api/v1/') && !r.hidden && r.method !== 'HEAD');
    expect(api.length).toBeGreaterThanOrEqual(20);
    for (const route of api) {
      // @fastify/websocket hides upgrade routes from OpenAPI (they have no HTTP response to describe);
      // the protocol is in the document's description and in docs/architecture.md.
      if (route.url === '/api/v1/ws') continue;
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url} missing from the OpenAPI document`).toBeDefined();
      const codes = Object.keys(op!.responses);
      expect(
        codes.some((c) => c.startsWith('2')),
        `${route.method} ${route.url} documents no success response`,
      ).toBe(true);
      expect(codes, `${route.method} ${route.url} documents no error response`).toContain('401');
    }
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    await app.close();
  });
});
