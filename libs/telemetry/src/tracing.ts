import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (e.g. http://jaeger:4318). Unset: spans still carry ids (for trace ids in
   *  logs and propagation) but are not recorded, unless OTEL_TRACES_SAMPLER says otherwise. */
  otlpEndpoint?: string | undefined;
  /** Extra processors, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests. */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for this process. The OTel API is process-global by design (context
 * and propagators); call this once from main.ts and pass the returned tracer down.
 */
export function initTelemetry(options: TelemetryOptions): Telemetry {
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const exporting = processors.length > 0;
  // NodeSDK registers no tracer provider when it gets no processor: every span would then be a
  // no-op with all-zero ids (no trace ids in logs, nothing propagated). Keep real spans.
  if (!exporting) processors.push(new NoopSpanProcessor());
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: processors,
    // With nowhere to send spans, recording them (attributes, events, timings) is pure cost: ~6 %
    // of the control plane's CPU per task. Unsampled spans still get real ids, so logs and propagation keep
    // their trace ids. An operator's OTEL_TRACES_SAMPLER (which the SDK reads) still wins.
    ...(exporting || process.env.OTEL_TRACES_SAMPLER ? {} : { sampler: new AlwaysOffSampler() }),
    // Traces only, for now: without these the SDK would start OTLP metric and log exporters of its
    // own (to localhost:4318) from its environment defaults.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    tracer: trace.getTracer(options.serviceName),
    shutdown: () => sdk.shutdown(),
  };
}
