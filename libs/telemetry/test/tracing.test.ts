import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { SpanKind, trace, type SpanContext } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Type } from '@sinclair/typebox';
import { STREAMS, envelopeOf, makeEnvelope, uuidv7, type StreamDeclaration } from '@reelforge/contracts';
import {
  createMessaging,
  ensureConsumer,
  ensureStream,
  namespaceFrom,
  openNats,
  publishEvent,
  startConsumer,
} from '@reelforge/messaging';
import { memoryLogger, uniqueToken, deferred } from '@reelforge/testing';
import { createLogger } from '../src/logger.ts';
import { initTelemetry, type Telemetry } from '../src/tracing.ts';

// The OTel API is process-global: tracing is initialised once for this file, with every span kept
// in memory, and shut down at the end.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
let telemetry: Telemetry;

beforeAll(() => {
  telemetry = initTelemetry({ serviceName: 'test', spanProcessors: [processor] });
});

afterAll(async () => {
  await telemetry?.shutdown();
});

/** Turns "it never happened" into a readable failure well before the test timeout. */
function within<T>(what: string, promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** An in-memory destination for pino: every JSON line written to it. */
function memorySink(): { sink: Writable; lines: () => Record<string, unknown>[]; finished: () => Promise<void> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    sink,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    // Ending the stream settles every pending write, however the stream buffered them.
    finished: () => new Promise<void>((res) => sink.end(res)),
  };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

describe('createLogger', () => {
  it('stamps trace_id and span_id of the active span, and omits them outside a span', async () => {
    const { sink, lines, finished } = memorySink();
    const log = createLogger({ service: 'x', destination: sink });

    log.info('before');
    const ctx = telemetry.tracer.startActiveSpan('work', (span) => {
      log.info('inside');
      span.end();
      return span.spanContext();
    });
    log.info('after');
    await finished();

    expect(ctx.traceId).toMatch(HEX32);
    expect(ctx.traceId).not.toBe('0'.repeat(32));
    const [before, inside, after] = lines();
    expect(inside).toMatchObject({ msg: 'inside', service: 'x', trace_id: ctx.traceId, span_id: ctx.spanId });
    for (const line of [before, after]) {
      expect(line).toMatchObject({ service: 'x' });
      expect(line).not.toHaveProperty('trace_id');
      expect(line).not.toHaveProperty('span_id');
    }
    expect(lines()).toHaveLength(3);
  });

  it('stamps the innermost span in nested spans and follows the context across awaits', async () => {
    const { sink, lines, finished } = memorySink();
    const log = createLogger({ service: 'x', destination: sink });

    const ids = await telemetry.tracer.startActiveSpan('outer', async (outer) => {
      const inner = await telemetry.tracer.startActiveSpan('inner', async (span) => {
        await new Promise<void>((res) => setImmediate(res));
        log.info('inner');
        span.end();
        return span.spanContext();
      });
      log.info('outer');
      outer.end();
      return { outer: outer.spanContext(), inner };
    });
    await finished();

    expect(ids.inner.traceId).toBe(ids.outer.traceId);
    expect(lines()).toEqual([
      expect.objectContaining({ msg: 'inner', trace_id: ids.inner.traceId, span_id: ids.inner.spanId }),
      expect.objectContaining({ msg: 'outer', trace_id: ids.outer.traceId, span_id: ids.outer.spanId }),
    ]);
  });
});

describe('trace context across NATS', () => {
  const Traced = envelopeOf('test.traced.v1', Type.Object({ n: Type.Integer() }, { additionalProperties: false }));
  const TRACED: StreamDeclaration = {
    name: 'TRACED',
    owner: 'shared',
    subjects: ['traced.>'],
    retention: 'limits',
    maxAgeMs: 60_000,
    description: 'test',
  };
  const DURABLE = 'tracer';
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await openNats(inject('natsUrl'));
  });

  afterAll(async () => {
    await nc?.close();
  });

  it('a consumer continues the publisher’s trace: same trace id, consume span parented on the publish span', async () => {
    const m = await createMessaging(nc, 'test', namespaceFrom(uniqueToken()));
    await ensureStream(m, TRACED, { replicas: 1 });
    await ensureStream(m, STREAMS.DLQ, { replicas: 1, createOnly: true });
    await ensureConsumer(m, {
      stream: TRACED.name,
      durable: DURABLE,
      filterSubject: 'traced.>',
      ackWaitMs: 30_000,
      maxAckPending: 10,
    });
    const { log, lines } = memoryLogger('test');

    const seen = deferred<{ id: string; traceId: string | undefined; spanId: string | undefined }>();
    const consumer = await startConsumer(m, {
      stream: TRACED.name,
      durable: DURABLE,
      schema: Traced,
      handler: async (event, ctx) => {
        const active = trace.getActiveSpan()?.spanContext();
        ctx.log.info({ n: event.data.n }, 'handled');
        seen.resolve({ id: event.id, traceId: active?.traceId, spanId: active?.spanId });
      },
      concurrency: 1,
      retry: { initialDelayMs: 100, maxDelayMs: 1_000, maxDeliveries: 3, jitter: 0 },
      heartbeatMs: 5_000,
      drainTimeoutMs: 10_000,
      log,
      tracer: telemetry.tracer,
    });

    let publisher: SpanContext;
    let handled: Awaited<typeof seen.promise>;
    const envelope = makeEnvelope('test.traced.v1', 'test', uuidv7(), { n: 7 });
    try {
      publisher = await telemetry.tracer.startActiveSpan('publish test', async (span) => {
        try {
          await publishEvent(m, 'traced.one', envelope, Traced);
          return span.spanContext();
        } finally {
          span.end();
        }
      });
      handled = await within('delivery to the handler', seen.promise);
    } finally {
      // stop() returns only once the handler's message is settled and its consume span ended.
      await consumer.stop();
      await m.jsm.streams.delete(m.stream(TRACED.name)).catch(() => undefined);
      await m.jsm.streams.delete(m.stream(STREAMS.DLQ.name)).catch(() => undefined);
    }

    expect(handled.id).toBe(envelope.id);
    expect(publisher.traceId).toMatch(HEX32);
    expect(handled.traceId).toBe(publisher.traceId);
    // The handler runs inside a span of its own, not in the publisher's span.
    expect(handled.spanId).toMatch(HEX16);
    expect(handled.spanId).not.toBe(publisher.spanId);

    await processor.forceFlush();
    const spans = exporter.getFinishedSpans();
    const publishSpan = spans.find((s) => s.name === 'publish test' && s.spanContext().spanId === publisher.spanId);
    expect(publishSpan).toBeDefined();
    const consumeSpans = spans.filter(
      (s) => s.name === `consume ${DURABLE}` && s.spanContext().traceId === publisher.traceId,
    );
    expect(consumeSpans).toHaveLength(1);
    const consumeSpan = consumeSpans[0]!;
    // publish test → the producer span publishEvent makes → (over the headers) the consume span.
    const producer = spans.find((s) => s.name === 'publish traced.one');
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(producer?.parentSpanContext?.spanId).toBe(publisher.spanId);
    expect(consumeSpan.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(consumeSpan.parentSpanContext?.isRemote).toBe(true);
    expect(consumeSpan.spanContext().spanId).toBe(handled.spanId);
    expect(consumeSpan.kind).toBe(SpanKind.CONSUMER);
    expect(consumeSpan.attributes['messaging.destination.name']).toBe(m.subject('traced.one'));

    // The handler's log line leads to the same trace.
    expect(lines().find((l) => l.msg === 'handled')).toMatchObject({
      n: 7,
      trace_id: publisher.traceId,
      span_id: handled.spanId,
    });
  });
});

describe('initTelemetry without an exporter', () => {
  /** One span made in a fresh process (this one's OTel globals are already registered with a processor). */
  async function probeSpan(sampler: string | undefined) {
    const telemetryIndex = resolve(import.meta.dirname, '..', 'src', 'index.ts');
    const script = `
      import { context, propagation } from '@opentelemetry/api';
      import { initTelemetry } from ${JSON.stringify(telemetryIndex)};
      const t = initTelemetry({ serviceName: 'probe' });
      const out = t.tracer.startActiveSpan('probe', (span) => {
        const carrier = {};
        propagation.inject(context.active(), carrier);
        const recording = span.isRecording();
        span.end();
        return { ...span.spanContext(), recording, carrier };
      });
      process.stdout.write(JSON.stringify(out));
      await t.shutdown();
    `;
    const { OTEL_EXPORTER_OTLP_ENDPOINT: _unset, OTEL_TRACES_SAMPLER: _default, ...env } = process.env;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '..', '..', '..'),
      env: {
        ...env,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        ...(sampler ? { OTEL_TRACES_SAMPLER: sampler } : {}),
      },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout) as {
      traceId: string;
      spanId: string;
      recording: boolean;
      carrier: Record<string, string>;
    };
    expect(out.traceId).toMatch(HEX32);
    expect(out.traceId).not.toBe('0'.repeat(32));
    expect(out.spanId).not.toBe('0'.repeat(16));
    return out;
  }

  it('still gives spans real ids (trace ids for logs and propagation), but records nothing', async () => {
    const out = await probeSpan(undefined);
    // Nothing would ever read what a span records here; the next hop learns the trace is unsampled.
    expect(out.recording).toBe(false);
    expect(out.carrier.traceparent).toBe(`00-${out.traceId}-${out.spanId}-00`);
  });

  it("records spans when the operator's OTEL_TRACES_SAMPLER asks for it", async () => {
    const out = await probeSpan('always_on');
    expect(out.recording).toBe(true);
    expect(out.carrier.traceparent).toBe(`00-${out.traceId}-${out.spanId}-01`);
  });
});

describe('initTelemetry with an OTLP endpoint', () => {
  it('exports spans over OTLP/HTTP to the configured receiver (flushed at shutdown)', async () => {
    // A local receiver: records every POST it gets.
    const received: { path: string; type: string; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // A fresh process: this one's OTel globals are already registered.
      const telemetryIndex = resolve(import.meta.dirname, '..', 'src', 'index.ts');
      const script = `
        import { initTelemetry } from ${JSON.stringify(telemetryIndex)};
        const t = initTelemetry({ serviceName: 'exported', otlpEndpoint: ${JSON.stringify(endpoint)} });
        const id = t.tracer.startActiveSpan('sent-over-otlp', (span) => { span.end(); return span.spanContext().traceId; });
        await t.shutdown();
        process.stdout.write(id);
      `;
      const { stdout: traceId } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        cwd: resolve(import.meta.dirname, '..', '..', '..'),
        env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
        timeout: 30_000,
      });
      expect(traceId).toMatch(HEX32);
      const traces = received.filter((r) => r.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      const payload = Buffer.concat(traces.map((t) => t.body));
      // OTLP/HTTP carries the span's name and the service name (protobuf or JSON, both keep the text).
      expect(payload.includes('sent-over-otlp')).toBe(true);
      expect(payload.includes('exported')).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
