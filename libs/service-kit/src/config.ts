import { redactSecrets } from '@reelforge/telemetry';
import { bareDurationWarning, parseDurationMs, type DurationUnit } from './duration.ts';

/** Thrown when the environment is wrong; its message names every bad variable, on one line. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Receives each warning of a config load: a value that is read, but probably not as its writer
 * meant (a duration without a unit). The service still starts; the warning is logged once.
 */
export type ConfigWarn = (message: string) => void;

/** One environment variable: how to read it and its default. */
export interface Setting<T> {
  read(
    name: string,
    raw: string | undefined,
  ): { ok: true; value: T; warning?: string } | { ok: false; problem: string };
}

/** Variables whose value is (or carries) a secret: a bad one is named, never echoed. */
const SECRET_NAME = /SECRET|PASSWORD|PASS$|TOKEN|KEY|CREDENTIAL|SEED/i;

/** How a bad value is shown in a config error: secrets hidden, URLs without their password. */
function describeValue(name: string, raw: string): string {
  if (SECRET_NAME.test(name)) return `${name} (value hidden)`;
  return `${name}=${JSON.stringify(redactSecrets(raw).slice(0, 80))}`;
}

function setting<T>(parse: (raw: string) => T | undefined, expected: string, fallback?: T): Setting<T> {
  return {
    read: (name, raw) => {
      if (raw === undefined || raw === '') {
        return fallback === undefined
          ? { ok: false, problem: `${name} is required (${expected})` }
          : { ok: true, value: fallback };
      }
      const value = parse(raw);
      return value === undefined
        ? { ok: false, problem: `${describeValue(name, raw)} is not ${expected}` }
        : { ok: true, value };
    },
  };
}

/** Setting builders. A missing default means the variable is required. */
export const env = {
  string: (fallback?: string) => setting((s) => s, 'a string', fallback),
  optionalString: (): Setting<string | undefined> => ({
    read: (_n, raw) => ({ ok: true, value: raw === '' ? undefined : raw }),
  }),
  url: (protocols: string[], fallback?: string) =>
    setting(
      (s) => {
        try {
          const u = new URL(s);
          return protocols.includes(u.protocol.replace(/:$/, '')) ? s : undefined;
        } catch {
          return undefined;
        }
      },
      `a ${protocols.join('/')} URL`,
      fallback,
    ),
  int: (fallback: number | undefined, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    setting(
      (s) => (/^-?\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= max ? Number(s) : undefined),
      `an integer in [${min}, ${max}]`,
      fallback,
    ),
  port: (fallback?: number) =>
    setting(
      (s) => (/^\d+$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined),
      'a port number (0-65535)',
      fallback,
    ),
  bool: (fallback?: boolean) =>
    setting(
      (s) => (/^(1|true|yes)$/i.test(s) ? true : /^(0|false|no)$/i.test(s) ? false : undefined),
      'a boolean (true/false)',
      fallback,
    ),
  /**
   * A duration in milliseconds from `500ms`, `30s`, `5m`, `3h` or `2d`. A bare number is still read
   * in `bareUnit` (the unit the setting was first documented with), with a warning naming that unit.
   */
  durationMs: (bareUnit: DurationUnit, fallback?: string): Setting<number> => {
    const base = setting(
      (s) => parseDurationMs(s, bareUnit),
      `a duration (500ms, 30s, 5m, 3h or 2d; a bare number is ${bareUnit})`,
      fallback === undefined ? undefined : parseDurationMs(fallback, bareUnit),
    );
    return {
      read: (name, raw) => {
        const r = base.read(name, raw);
        const warning = r.ok && raw ? bareDurationWarning(name, raw, bareUnit) : undefined;
        return warning ? { ...r, warning } : r;
      },
    };
  },
  oneOf: <T extends string>(values: readonly T[], fallback?: T) =>
    setting((s) => (values.includes(s as T) ? (s as T) : undefined), `one of ${values.join(', ')}`, fallback),
  list: (fallback?: string[]) =>
    setting(
      (s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      'a comma-separated list',
      fallback,
    ),
};

export type ConfigSpec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/**
 * Reads every setting of `spec` (keys are the variable names) from `source`, collects every
 * problem, and returns a frozen typed object, or throws one ConfigError naming each bad variable.
 * Values that are read but look unintended (a duration without a unit) go to `warn`, one call per
 * variable, only when the whole config is valid (a service that will not start has nothing to warn
 * about). The logger exists only after this, so boot code collects them and logs them once it does.
 */
export function loadConfig<S extends ConfigSpec>(spec: S, source: Env = process.env, warn?: ConfigWarn): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const [name, s] of Object.entries(spec)) {
    const r = s.read(name, source[name]);
    if (!r.ok) problems.push(r.problem);
    else {
      out[name] = r.value;
      if (r.warning) warnings.push(r.warning);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  for (const w of warnings) warn?.(w);
  return Object.freeze(out) as ConfigOf<S>;
}

/** Settings every service reads (one name per concept). */
export const commonSettings = {
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  NATS_URL: env.url(['nats', 'tls', 'ws', 'wss'], 'nats://127.0.0.1:4222'),
  LOG_LEVEL: env.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalString(),
  HEALTH_HOST: env.string('127.0.0.1'),
  /**
   * PostgreSQL limits every connection of the service starts with (bare numbers are ms, with a
   * warning; 0 leaves the server's own). Defaults match DEFAULT_DB_TIMEOUTS in
   * @reelforge/persistence; migrations lift them.
   */
  DB_STATEMENT_TIMEOUT: env.durationMs('ms', '30s'),
  DB_LOCK_TIMEOUT: env.durationMs('ms', '5s'),
  /** Prefix for stream/consumer names and subjects: lets several stacks share one NATS server. */
  NATS_NAMESPACE: env.optionalString(),
  NATS_STREAM_REPLICAS: env.int(1, 1, 5),
  /** Caps every owned stream's max_bytes (0 = the declared limits): JetStream reserves them on the server. */
  NATS_STREAM_MAX_BYTES: env.int(0, 0),
  /** How often each service deletes rows it no longer needs (0 = never); retention of relayed outbox rows and processed-event ids. */
  PRUNE_INTERVAL: env.durationMs('m', '1h'),
  OUTBOX_RETENTION: env.durationMs('d', '7d'),
  // Longer than any stream keeps a message (7 days), so no redelivery can outlive its inbox id.
  INBOX_RETENTION: env.durationMs('d', '8d'),
  /** NATS authentication (docs/operations.md, "NATS authentication"): one way at a time; all optional. */
  NATS_USER: env.optionalString(),
  NATS_PASSWORD: env.optionalString(),
  NATS_TOKEN: env.optionalString(),
  NATS_NKEY_SEED_FILE: env.optionalString(),
  NATS_CREDS_FILE: env.optionalString(),
  /** TLS to NATS: the CA to trust, and a client certificate when the server asks for one. */
  NATS_TLS_CA_FILE: env.optionalString(),
  NATS_TLS_CERT_FILE: env.optionalString(),
  NATS_TLS_KEY_FILE: env.optionalString(),
} satisfies ConfigSpec;
