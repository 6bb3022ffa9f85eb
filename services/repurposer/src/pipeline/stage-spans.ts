import { SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import type { ReportProgress } from '../tasks/progress-reporter.ts';

const tracer = trace.getTracer('@reelforge/repurposer');

/**
 * A span per pipeline stage, under the task's span: each stage the task reports opens one and
 * closes the one before; `end` closes the last, marked failed when the task failed. The ffmpeg
 * runs of the stage are their siblings, inside the same time range.
 */
export function traceStages(report: ReportProgress): { report: ReportProgress; end(err?: unknown): void } {
  const parent = context.active();
  let stage: string | undefined;
  let span: Span | undefined;
  return {
    report: (next, percent, message, etaSeconds, o) => {
      if (next !== stage) {
        span?.end();
        stage = next;
        span = tracer.startSpan(`stage ${next}`, { attributes: { 'reelforge.stage': next } }, parent);
      }
      report(next, percent, message, etaSeconds, o);
    },
    end: (err) => {
      if (err !== undefined)
        span?.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : 'failed' });
      span?.end();
      span = undefined;
    },
  };
}
