import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { formatLine } from './log-format.ts';
import { REDACTED_PATHS, redactSecrets } from './redact.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a sink to assert on real lines. */
  destination?: DestinationStream;
  /** `pretty`: one readable line per record (a person at a terminal); `json` otherwise. Default:
   *  pretty when stdout is a terminal, unless LOG_FORMAT=json. */
  format?: 'json' | 'pretty';
}

/** Lines for a person at a terminal: the same records, formatted as the local stack shows them. */
function prettyStdout(service: string): DestinationStream {
  return { write: (line: string) => void process.stdout.write(`${formatLine(service, 0, line.trimEnd(), true)}\n`) };
}

/** Fastify's request fields, with the URL's secrets (`?token=`) masked; headers are never logged. */
function requestSerializer(req: {
  method?: string;
  url?: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactSecrets(req.url),
    host: req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Errors keep their type, code and stack, with secrets masked in the text (a URL quoted in a message). */
function errorSerializer(err: unknown) {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (!out || typeof out !== 'object') return out;
  for (const key of ['message', 'stack']) if (typeof out[key] === 'string') out[key] = redactSecrets(out[key]);
  return out;
}

/**
 * A pino JSON logger bound to `{ service }` that stamps `trace_id`/`span_id` from the active span on
 * every line, so a log line leads straight to its trace. Secrets are censored by path (headers,
 * password/token fields) and masked in request URLs and error texts.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { req: requestSerializer, err: errorSerializer },
      mixin: () => {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const ctx = span.spanContext();
        return { trace_id: ctx.traceId, span_id: ctx.spanId };
      },
    },
    options.destination ??
      ((options.format ?? (process.stdout.isTTY && process.env.LOG_FORMAT !== 'json' ? 'pretty' : 'json')) === 'pretty'
        ? prettyStdout(options.service)
        : pino.destination({ dest: 1, sync: false })),
  );
}
