import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles, startServiceProcess, type ServiceProcess } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;

// The orchestrator killed (SIGKILL) while its generation's task events arrive: the events wait in
// JetStream, a restarted orchestrator folds each exactly once, and the counters end right.
describe('orchestrator killed between task events', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ withOrchestrator: false });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), { seconds: 3 });
    files = await serveFiles({ 'a.mp4': video, 'b.mp4': video, 'c.mp4': video });
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await files?.close();
    await stack?.stop();
  });

  const orchestrator = async () => {
    const p = startServiceProcess('content-orchestrator', {
      ...stack.env,
      DB_SCHEMA: `${stack.token}_orchestrator`,
      HEALTH_PORT: '0',
      EVENT_ACK_WAIT: '2s',
    });
    procs.push(p);
    await p.waitForLine(/content-orchestrator ready/);
    return p;
  };

  it('folds every event once after a restart', async () => {
    const first = await orchestrator();
    const bearer = await stack.bearer('tenant-orch-crash');
    const api = apiClient(stack.gatewayUrl, bearer);
    const account = await api.createAccount('Orchestrator crash');
    for (const f of ['a.mp4', 'b.mp4', 'c.mp4']) await api.addSource(account.id, files.url(f));
    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', count: 3, options: { width: 360, preset: 'ultrafast' } })
    ).json()) as StartedGeneration;

    // Kill it as soon as the first task has finished; the other two finish while it is down.
    await ws.waitFor(
      'first task completed',
      (m) => m.type === 'job_status' && m.kind === 'task' && statusOf(m) === 'completed',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    for (const taskId of generation.taskIds) {
      await ws.waitFor(
        `task ${taskId} completed`,
        (m) => m.type === 'job_status' && m.job_id === taskId && statusOf(m) === 'completed',
      );
    }
    await orchestrator();
    const done = await ws.waitFor(
      'generation completed',
      (m) => m.type === 'job_status' && m.job_id === generation.id && statusOf(m) === 'completed',
    );
    expect((done.status as { counters: Record<string, number> }).counters).toMatchObject({
      totalRequested: 3,
      completed: 3,
      failed: 0,
      queued: 0,
      processing: 0,
    });
    ws.close();

    const [gen] = await stack.sql('orchestrator', 'select * from $schema.generations where id = ?', [generation.id]);
    expect(gen).toMatchObject({ status: 'completed', completed: 3, total_requested: 3 });
    expect(
      await stack.sql('orchestrator', 'select 1 from $schema.generation_locks where generation_id = ?', [
        generation.id,
      ]),
    ).toHaveLength(0);
    expect(
      await stack.sql('repurposer', 'select 1 from $schema.generated_content where account_id = ?', [account.id]),
    ).toHaveLength(3);
  }, 120_000);
});
