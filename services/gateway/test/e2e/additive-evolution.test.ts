import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeEnvelope, subjects, uuidv7, type Envelope } from '@reelforge/contracts';
import { publishEvent, type Messaging } from '@reelforge/messaging';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;

// During a rolling deploy an older consumer meets a newer producer's messages. Consumers accept
// properties they do not know (and drop them) instead of dead-lettering the message; a message
// that really is invalid but names its task still closes that task.
describe('rolling deploys: additive message evolution', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let m: Messaging;

  beforeAll(async () => {
    stack = await startStack();
    m = stack.repurposer!.platform.messaging;
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'short.mp4'), { seconds: 3 });
    files = await serveFiles({ 'short.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  /** Sends a message as a newer (or broken) producer would: as is, with no schema check. */
  const send = (subject: string, message: object) => publishEvent(m, subject, message as unknown as Envelope);

  it('renders a job carrying an unknown envelope field, data field and (nested) option to completion', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-additive', []);
    const ws = await watchAccount(stack, bearer, account.id);
    const taskId = uuidv7();
    const job = makeEnvelope('render.job.requested.v1', 'content-orchestrator', account.id, {
      taskId,
      generationId: null,
      sourceId: null,
      sourceUrl: files.url('short.mp4'),
      contentType: 'shorts',
      options: {
        width: 360,
        preset: 'ultrafast',
        fadeSeconds: 0,
        segments: [{ parts: [{ start: 0, end: 2 }] }],
        title: { text: 'Hello', glow: 'soft' },
        sparkle: 'gold',
      },
      ownerId: 'tenant-additive',
      priority: 'high',
    });
    await send(subjects.renderJob(account.id), { ...job, schemaRevision: 7 });

    await ws.waitFor(
      'task completed',
      (msg) => msg.type === 'job_status' && msg.job_id === taskId && statusOf(msg) === 'completed',
    );
    ws.close();
    const clips = await stack.sql<{ title: string; width: number }>(
      'repurposer',
      'select title, width from $schema.generated_content where task_id = ?',
      [taskId],
    );
    expect(clips).toEqual([{ title: 'Hello', width: 360 }]);
    // What the consumer did not know was dropped, not stored.
    const [task] = await stack.sql<{ inputs: { options: Record<string, unknown>; priority?: string } }>(
      'repurposer',
      'select inputs from $schema.tasks where id = ?',
      [taskId],
    );
    expect(task!.inputs.options).not.toHaveProperty('sparkle');
    expect(task!.inputs.options.title).toEqual({ text: 'Hello' });
    expect(task!.inputs).not.toHaveProperty('priority');
    expect((await (await api.call(`/api/v1/tasks/${taskId}`)).json()) as { status: string }).toMatchObject({
      status: 'completed',
    });
  });

  it('relays a task.progress fact that carries a field the gateway does not know', async () => {
    const { bearer, account } = await newTenant(stack, 'tenant-additive-live', []);
    const ws = await watchAccount(stack, bearer, account.id);
    const taskId = uuidv7();
    const progress = makeEnvelope('task.progress.v1', 'repurposer', account.id, {
      taskId,
      generationId: null,
      stage: 'rendering' as const,
      percent: 42,
      message: 'rendering',
      etaSeconds: 3,
      gpu: 'on',
    });
    await send(subjects.taskProgress(account.id), { ...progress, region: 'eu' });
    const relayed = await ws.waitFor('progress relayed', (msg) => msg.type === 'job_progress' && msg.job_id === taskId);
    ws.close();
    expect(relayed).toMatchObject({ stage: 'rendering', progress: 42, eta_seconds: 3, event_id: progress.id });
  });

  it('fails the task of an invalid job that names it, with its task.status failed event', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-invalid-job', []);
    const ws = await watchAccount(stack, bearer, account.id);
    const taskId = uuidv7();
    // An odd width is refused by the schema: the job is dead-lettered without running.
    const job = makeEnvelope('render.job.requested.v1', 'content-orchestrator', account.id, {
      taskId,
      generationId: null,
      sourceId: null,
      sourceUrl: files.url('short.mp4'),
      contentType: 'shorts',
      options: { width: 1081 },
      ownerId: 'tenant-invalid-job',
    });
    await send(subjects.renderJob(account.id), job);

    const failed = await ws.waitFor(
      'task failed',
      (msg) => msg.type === 'job_status' && msg.job_id === taskId && statusOf(msg) === 'failed',
    );
    ws.close();
    const error = (failed.status as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toContain('/data/options/width');
    const [task] = await stack.sql<{ status: string; error_code: string }>(
      'repurposer',
      'select status, error_code from $schema.tasks where id = ?',
      [taskId],
    );
    expect(task).toEqual({ status: 'failed', error_code: 'INVALID_MESSAGE' });
    expect((await (await api.call(`/api/v1/tasks/${taskId}`)).json()) as { status: string }).toMatchObject({
      status: 'failed',
      error: { code: 'INVALID_MESSAGE' },
    });
    expect(
      await stack.sql('repurposer', 'select 1 from $schema.generated_content where task_id = ?', [taskId]),
    ).toHaveLength(0);
  });
});
