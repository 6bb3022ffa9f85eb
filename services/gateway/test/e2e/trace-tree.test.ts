import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initTelemetry } from '@reelforge/telemetry';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { newTenant } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

/** The spans of one trace as an indented tree, children in start order (what the note and a reader see). */
function renderTree(spans: ReadableSpan[]): string {
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const kids = (children.get(parent) ?? []).sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    for (const s of kids) {
      lines.push(`${'  '.repeat(depth)}${s.name} [${SpanKind[s.kind]}]`);
      walk(s.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

// One trace per request: the HTTP span, the command it sends, the event the orchestrator's outbox
// relays, the repurposer's consumer span with a span per stage and per ffmpeg run, and the fold of
// the task's status back in the orchestrator, all under one trace id the client was given.
describe('one trace per request', () => {
  const exporter = new InMemorySpanExporter();
  const telemetry = initTelemetry({ serviceName: 'trace-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack();
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    files = await serveFiles({ 'source.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
    await telemetry.shutdown();
  });

  it('follows a generation from its HTTP request to ffmpeg and back, under the trace id the response names', async () => {
    const { api, account } = await newTenant(stack, 'traced', [files.url('source.mp4')]);
    const res = await api.startGeneration(account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(res.status).toBe(202);
    const traceId = res.headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const requestId = res.headers.get('x-request-id');
    const { generation } = (await res.json()) as StartedGeneration;

    // The fold of the task's final status is the last hop; wait for its span to end.
    const spans = await eventually(
      'the fold of the completed task in the trace',
      async () => {
        const inTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
        const folds = inTrace.filter((s) => s.name === 'consume orchestrator-task-status');
        const [gen] = await stack.sql<{ status: string }>(
          'orchestrator',
          'select status from $schema.generations where id = ?',
          [generation.id],
        );
        return gen?.status === 'completed' && folds.length > 0 ? inTrace : undefined;
      },
      60_000,
    );
    const tree = renderTree(spans);
    console.log(`trace ${traceId}:\n${tree}`);

    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');
    const ancestors = (s: ReadableSpan) => {
      const chain: string[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) chain.push(p.name);
      return chain;
    };
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(
        found.map((s) => s.name),
        name,
      ).toEqual([name]);
      return found[0]!;
    };

    const root = one('POST /api/v1/accounts/:accountId/generations');
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(parentOf(root)).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'http.response.status_code': 202, 'http.request_id': requestId });

    // The request asks the orchestrator to start the generation, and the owner answers in its own span.
    const command = one('command cmd.orchestrator.generations.start');
    expect(command.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(command)).toBe(root);
    const handler = one('handle cmd.orchestrator.generations.start');
    expect(handler.kind).toBe(SpanKind.SERVER);
    expect(parentOf(handler)).toBe(command);

    // The handler's SQL statements are spans under it, their text without the values.
    const statements = spans.filter((s) => s.name.startsWith('db ') && ancestors(s).includes(handler.name));
    // A start in the common case: one transaction of two statements, the reservation and the record.
    const own = statements.filter((s) => parentOf(s) === handler);
    expect(own.map((s) => s.name)).toEqual(['db begin', 'db with', 'db with', 'db commit']);
    expect(String(own[1]!.attributes['db.query.text'])).toMatch(/insert into "\w+_orchestrator"\.generation_locks/);
    for (const s of spans.filter((x) => x.name.startsWith('db '))) {
      expect(s.kind).toBe(SpanKind.CLIENT);
      expect(String(s.attributes['db.query.text'])).not.toContain(account.id);
    }
    // The prepared statements (bound parameters: executePrepared) are in the trace too.
    const prepared = spans.filter(
      (s) => s.name.startsWith('db ') && /\$1\b/.test(String(s.attributes['db.query.text'])),
    );
    // (the repurposer's group-committed first attempt, its rows a JSON parameter)
    expect(
      prepared.map((s) => String(s.attributes['db.query.text']).slice(0, 400)),
      tree,
    ).toEqual(
      expect.arrayContaining([expect.stringMatching(/jsonb_to_recordset[\s\S]*insert into "\w+_repurposer"\.tasks/)]),
    );

    // The outbox relay's own polling is no part of this request: its statements never join its trace.
    const polls = spans.filter((s) =>
      String(s.attributes['db.query.text'] ?? '').includes('outbox where published_at is null'),
    );
    expect(polls.map((s) => ancestors(s).at(-1) ?? s.name)).toEqual([]);

    // The render job leaves through the orchestrator's outbox, under the handler that wrote it.
    const renderJob = spans.find((s) => s.kind === SpanKind.PRODUCER && s.name.startsWith('publish render.job'));
    expect(renderJob, tree).toBeDefined();
    expect(ancestors(renderJob!)).toContain(handler.name);
    const consume = one('consume repurposer-render');
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consume)).toBe(renderJob);

    // A span per stage under the task, and every ffmpeg run with its command line and exit status.
    const stages = spans.filter((s) => parentOf(s) === consume && s.name.startsWith('stage ')).map((s) => s.name);
    expect(stages).toEqual(
      expect.arrayContaining(['stage downloading', 'stage probing', 'stage rendering', 'stage uploading']),
    );
    const ffmpegRuns = spans.filter((s) => s.name === 'ffmpeg');
    expect(ffmpegRuns.length).toBeGreaterThan(0);
    for (const run of ffmpegRuns) {
      expect(ancestors(run)).toContain('consume repurposer-render');
      expect(run.attributes['process.exit.code']).toBe(0);
      expect(run.attributes['process.command_args']).toEqual(expect.arrayContaining(['-i']));
    }

    // The task's status comes back to the orchestrator in the same trace.
    const fold = spans.find((s) => s.name === 'consume orchestrator-task-status');
    expect(ancestors(fold!)).toContain('consume repurposer-render');
  });
});
