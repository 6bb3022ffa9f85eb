import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayApp } from '../http/gateway-app.ts';

const STATIC = join(import.meta.dirname, 'static');

// The page loads only its own script and style, talks only to this origin (HTTP and WebSocket),
// and plays clips from this origin's signed media links.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
} as const;

/**
 * The dashboard: a static page at `/` (no build step) that signs in with a token or API key and
 * then uses the public API like any client. The files are public; everything they show is not.
 */
export function registerDashboard(app: GatewayApp): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(join(STATIC, file));
    app.get(url, { config: { public: true }, schema: { hide: true }, logLevel: 'warn' }, async (_req, reply) =>
      reply
        .header('content-type', type)
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}
