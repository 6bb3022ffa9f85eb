import { join } from 'node:path';
import { SYSTEM_PRINCIPAL_PREFIX } from '@reelforge/contracts';
import { ConfigError, commonSettings, env, loadConfig, type ConfigOf, type ConfigWarn } from '@reelforge/service-kit';

/** The compatibility surfaces the gateway can serve (docs/compat.md). */
export const COMPAT_SURFACE_NAMES = ['reelcraft', 'supoclip', 'butter', 'delula'] as const;

const configSpec = {
  ...commonSettings,
  DB_SCHEMA: env.string('gateway'),
  PORT: env.port(8080),
  /** Probes and /metrics, off the public port. */
  HEALTH_PORT: env.port(8086),
  HOST: env.string('127.0.0.1'),
  /** HS256 secret for bearer JWTs (the local launcher generates one under .data/). */
  JWT_SECRET: env.optionalString(),
  /** An identity provider's JWKS URL: RS/PS/ES/EdDSA tokens are verified against its keys (with or without JWT_SECRET). */
  JWT_JWKS_URL: env.optionalString(),
  /** Signs media links (`POST /content/:id/links`); unset = derived from JWT_SECRET. Same value on every gateway instance. */
  MEDIA_LINK_SECRET: env.optionalString(),
  JWT_ISSUER: env.optionalString(),
  JWT_AUDIENCE: env.optionalString(),
  /** How long the gateway waits for an owning service to answer before a 503. */
  COMMAND_TIMEOUT: env.durationMs('ms', '5s'),
  /** The media store's root (shared with the repurposer): clips are streamed from here. */
  MEDIA_ROOT: env.string(join(process.cwd(), '.data', 'media')),
  /** Largest accepted upload, in bytes (2 GiB). */
  MAX_UPLOAD_BYTES: env.int(2 * 1024 ** 3, 1),
  /** Largest accepted image upload (a logo: PNG, JPEG or WebP), in bytes (10 MiB). */
  MAX_IMAGE_UPLOAD_BYTES: env.int(10 * 1024 ** 2, 1),
  FFPROBE_PATH: env.string('ffprobe'),
  /** Origins allowed by CORS (comma-separated); empty = no cross-origin access. */
  CORS_ORIGINS: env.list([]),
  /** Requests per minute per principal, counted after authentication. */
  RATE_LIMIT_PER_MINUTE: env.int(600, 1),
  /** Requests per minute per client address (the socket's: no proxy headers are trusted), counted before authentication. */
  RATE_LIMIT_PER_IP_PER_MINUTE: env.int(1200, 1),
  /** Failed authentications per minute per client address; beyond, the address gets 429 without any credential check. */
  AUTH_FAILURES_PER_MINUTE: env.int(30, 1),
  /** Accept source URLs on loopback/private/link-local addresses (local development only). */
  SOURCE_URL_ALLOW_PRIVATE: env.bool(false),
  /** Longest time to receive a whole request (uploads included): a trickling client cannot hold a connection forever. */
  HTTP_REQUEST_TIMEOUT: env.durationMs('s', '15m'),
  /** A connection with no traffic either way for this long is closed (SSE and WebSocket send heartbeats). */
  HTTP_CONNECTION_TIMEOUT: env.durationMs('s', '2m'),
  /** An upload whose body stops arriving for this long is abandoned (408) and its bytes removed. */
  UPLOAD_IDLE_TIMEOUT: env.durationMs('s', '30s'),
  /** Bytes of uploads one caller may keep (0 = no quota); beyond, 413 until some are deleted. */
  UPLOAD_STORAGE_QUOTA_BYTES: env.int(20 * 1024 ** 3, 0),
  /** Open WebSocket + SSE connections per caller on one gateway instance; beyond, 429. */
  LIVE_CONNECTIONS_PER_PRINCIPAL: env.int(50, 1),
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (rate limits): unset = none
   * (the socket's address), `true` = any, a number = that many hops, or a comma-separated list of
   * proxy addresses/CIDRs (e.g. the ingress controller's pod range).
   */
  TRUST_PROXY: env.optionalString(),
  /** Compatibility surfaces to serve (comma-separated: reelcraft, supoclip, butter, delula); none by default. docs/compat.md */
  COMPAT_SURFACES: env.list([]),
  /** The principal credential-less compat requests act as, when trusted (below); unset = they get 401. A trust decision: docs/compat.md. */
  COMPAT_PRINCIPAL: env.optionalString(),
  /** Browser origins whose credential-less compat requests act as COMPAT_PRINCIPAL (comma-separated). */
  COMPAT_ORIGINS: env.list([]),
  /** Credential-less compat requests with no Origin from a loopback socket (scripts on this machine) act as COMPAT_PRINCIPAL. */
  COMPAT_LOOPBACK: env.bool(false),
  /** Task views the read model keeps (least recently used go first); 0 = every task read asks the repurposer. docs/architecture.md */
  TASK_READ_MODEL_SIZE: env.int(10_000, 0),
  /** A cached task view is asked for again after this long: bounds changes no event announces (docs/architecture.md). */
  TASK_READ_MODEL_MAX_AGE: env.durationMs('s', '60s'),
  /** The same for a task that has not ended: it can turn `cancelling` without an event (docs/architecture.md). */
  TASK_READ_MODEL_RUNNING_MAX_AGE: env.durationMs('s', '2s'),
  WS_HEARTBEAT_INTERVAL: env.durationMs('s', '30s'),
  /** A WebSocket whose unsent data exceeds this is dropped (slow client), in bytes. */
  WS_MAX_BUFFERED_BYTES: env.int(1024 * 1024, 1024),
};

export type GatewayConfig = ConfigOf<typeof configSpec>;

export function loadGatewayConfig(
  source: Record<string, string | undefined> = process.env,
  warn?: ConfigWarn,
): GatewayConfig {
  const config = loadConfig(configSpec, source, warn);
  // Checked here rather than as "required" so the message says what a good value is.
  const problems: string[] = [];
  if (config.JWT_SECRET !== undefined && config.JWT_SECRET.length < 32)
    problems.push('JWT_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  if (config.JWT_JWKS_URL !== undefined && !/^https?:\/\//.test(config.JWT_JWKS_URL))
    problems.push('JWT_JWKS_URL must be an http(s) URL');
  if (config.JWT_SECRET === undefined && config.JWT_JWKS_URL === undefined)
    problems.push(
      "set JWT_SECRET (at least 32 characters, e.g. `openssl rand -hex 32`) or JWT_JWKS_URL (your identity provider's key set)",
    );
  const unknownSurfaces = config.COMPAT_SURFACES.filter(
    (name) => !(COMPAT_SURFACE_NAMES as readonly string[]).includes(name),
  );
  if (config.COMPAT_PRINCIPAL?.startsWith(SYSTEM_PRINCIPAL_PREFIX))
    problems.push(`COMPAT_PRINCIPAL: principals starting with "${SYSTEM_PRINCIPAL_PREFIX}" are reserved`);
  if (config.MEDIA_LINK_SECRET !== undefined && config.MEDIA_LINK_SECRET.length < 32)
    problems.push('MEDIA_LINK_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  if (unknownSurfaces.length)
    problems.push(`COMPAT_SURFACES: unknown ${unknownSurfaces.join(', ')} (known: ${COMPAT_SURFACE_NAMES.join(', ')})`);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
