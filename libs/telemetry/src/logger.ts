import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a sink to assert on real lines. */
  destination?: DestinationStream;
}

/**
 * A pino JSON logger bound to `{ service }` that stamps `trace_id`/`span_id` from the active span on
 * every line, so a log line leads straight to its trace.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const ctx = span.spanContext();
        return { trace_id: ctx.traceId, span_id: ctx.spanId };
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
