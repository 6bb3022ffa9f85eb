import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DefaultLogger, type LogContext } from '@mikro-orm/core';

// The global API's tracer (as instrumentation libraries do): it follows whatever provider the process registers.
const tracer = trace.getTracer('@reelforge/persistence');

const MAX_TEXT = 2_000;

/**
 * MikroORM's logger, plus a client span per SQL statement under the active span: MikroORM tells its
 * logger each statement with how long it took, after it ran, so the span's start is set back by
 * that much. Statements outside any trace (pollers, relays between messages) make no span. Values
 * are inlined into the SQL text by MikroORM, so literals are replaced before the text is recorded.
 */
export class StatementSpanLogger extends DefaultLogger {
  override logQuery(context: { query: string } & LogContext): void {
    super.logQuery(context);
    const query = context.query;
    if (!trace.getActiveSpan()) return;
    const end = Date.now();
    const span = tracer.startSpan(`db ${operationOf(query)}`, {
      kind: SpanKind.CLIENT,
      startTime: end - (context.took ?? 0),
      attributes: { 'db.system.name': 'postgresql', 'db.query.text': withoutLiterals(query).slice(0, MAX_TEXT) },
    });
    if (context.level === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
  }
}

/**
 * A client span for a statement run outside MikroORM (executePrepared), under the active span;
 * none outside a trace. Its text has bound parameters (`$1`…), so no values are recorded.
 */
export async function withStatementSpan<T>(query: string, run: () => Promise<T>): Promise<T> {
  if (!trace.getActiveSpan()) return run();
  const span = tracer.startSpan(`db ${operationOf(query)}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': 'postgresql', 'db.query.text': query.slice(0, MAX_TEXT) },
  });
  try {
    return await run();
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

/** The statement's first keyword (`select`, `insert`, `with`, `begin`…). */
function operationOf(query: string): string {
  return /^\s*([a-z]+)/i.exec(query)?.[1]?.toLowerCase() ?? 'query';
}

/** The SQL with its string and number literals as `?`: the shape of the statement, not the data. */
export function withoutLiterals(query: string): string {
  return query.replace(/'(?:[^']|'')*'/g, '?').replace(/(?<![\w."$])-?\d+(?:\.\d+)?(?![\w"])/g, '?');
}
