import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeEnvelope, repurposerCommands, subjects, TaskProgress, type TaskView } from '@reelforge/contracts';
import { publishEvent } from '@reelforge/messaging';
import { deferred, eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { createForward, type Forward } from '../../src/http/forward.ts';
import { startStatusFanout } from '../../src/live/status-fanout.ts';
import { createSubscriptionRegistry } from '../../src/live/subscription-registry.ts';
import { readThroughForward } from '../../src/tasks/read-through-forward.ts';
import { createTaskReadModel } from '../../src/tasks/task-read-model.ts';
import { apiClient } from '../support/api-client.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import type { WsMessage } from '../support/ws-client.ts';

const statusOf = (m: WsMessage) => (m.status as { status: string }).status;
const TERMINAL = ['completed', 'failed', 'cancelled'];
const OPTIONS = { width: 360, preset: 'ultrafast', fadeSeconds: 0 };

// The gateway's task read model on the real services, NATS and PostgreSQL: what it serves, to
// whom, how the TASKS stream keeps it fresh, and when it steps aside for request/reply.
describe('task read model', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    // No automatic retry: a source's one 503 fails its task for good (a manual retry then completes it).
    // Running views kept as long as ended ones here, so the progress test does not race a clock;
    // the 2 s default for running views is tested below with a clock of its own.
    stack = await startStack({ env: { TASK_MAX_RETRIES: '0', TASK_READ_MODEL_RUNNING_MAX_AGE: '60s' } });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'short.mp4'), { seconds: 2 });
    files = await serveFiles(
      { 'short.mp4': video, 'flaky.mp4': video, 'flaky-race.mp4': video },
      { failFirst: { 'flaky.mp4': 1, 'flaky-race.mp4': 1 } },
    );
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  /** The gateway's read-model lookups so far, by result. */
  const lookups = async () => {
    const { body } = await stack.gateway.platform.metrics.scrape();
    const count = (result: string) =>
      Number(
        new RegExp(`reelforge_task_read_model_lookups_total\\{result="${result}"[^}]*\\} (\\d+)`).exec(body)?.[1] ?? 0,
      );
    return { hit: count('hit'), miss: count('miss'), behind: count('behind') };
  };
  /** The read model's state changes so far, by the state it went to. */
  const transitions = async () => {
    const { body } = await stack.gateway.platform.metrics.scrape();
    const count = (to: string) =>
      Number(
        new RegExp(`reelforge_task_read_model_transitions_total\\{to="${to}"[^}]*\\} (\\d+)`).exec(body)?.[1] ?? 0,
      );
    return { lapse: count('lapse'), caughtUp: count('caught_up') };
  };

  /** A task of `file`, awaited to its end on the account's WebSocket. */
  const finishedTask = async (tenant: Awaited<ReturnType<typeof newTenant>>, ws: WsWatch, file: string) => {
    const created = await tenant.api.post('/api/v1/tasks', {
      accountId: tenant.account.id,
      url: files.url(file),
      options: OPTIONS,
    });
    expect(created.status).toBe(202);
    const taskId = ((await created.json()) as { id: string }).id;
    const end = await ws.waitFor(
      'task ended',
      (m) => m.type === 'job_status' && m.job_id === taskId && TERMINAL.includes(statusOf(m)),
    );
    if (statusOf(end) === 'completed') await lastProgress(ws, taskId);
    return { taskId, status: statusOf(end) };
  };
  /**
   * A completed task's last fact: the worker reports stage `completed` after the status fact is
   * committed, on another subject, so it may still be on its way when the status arrives. While it
   * is, the consumer is behind and a read's answer is not kept: tests that count hits await it.
   */
  const lastProgress = (ws: WsWatch, taskId: string) =>
    ws.waitFor(
      'the final progress',
      (m) => m.type === 'job_progress' && m.job_id === taskId && m.stage === 'completed',
    );
  type WsWatch = Awaited<ReturnType<typeof watchAccount>>;

  const getTask = async (api: ReturnType<typeof apiClient>, taskId: string) => {
    const res = await api.call(`/api/v1/tasks/${taskId}`);
    return { status: res.status, body: (await res.json()) as TaskView };
  };

  it('answers a task read a second time from the cache, and a stranger still gets 404', async () => {
    const owner = await newTenant(stack, 'tenant-cache-owner', []);
    const ws = await watchAccount(stack, owner.bearer, owner.account.id);
    const { taskId, status } = await finishedTask(owner, ws, 'short.mp4');
    expect(status).toBe('completed');
    ws.close();

    const before = await lookups();
    const first = await getTask(owner.api, taskId);
    const second = await getTask(owner.api, taskId);
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    expect(second.body.status).toBe('completed');
    const after = await lookups();
    expect(after.miss - before.miss).toBe(1);
    expect(after.hit - before.hit).toBe(1);

    // The cached view is the owner's: anyone else is asked about by request/reply, scoped as ever.
    const stranger = apiClient(stack.gatewayUrl, await stack.bearer('tenant-cache-stranger'));
    const refused = await stranger.call(`/api/v1/tasks/${taskId}`);
    expect(refused.status).toBe(404);
    expect(JSON.stringify(await refused.json())).not.toContain(owner.account.id);
    // …and the owner's entry is still there.
    const hitsBefore = (await lookups()).hit;
    expect((await getTask(owner.api, taskId)).body).toEqual(first.body);
    expect((await lookups()).hit - hitsBefore).toBe(1);
  });

  it('a status change on the stream replaces the cached view (a retry through another gateway)', async () => {
    const tenant = await newTenant(stack, 'tenant-cache-retry', []);
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const { taskId, status } = await finishedTask(tenant, ws, 'flaky.mp4');
    expect(status).toBe('failed');
    await getTask(tenant.api, taskId);
    const cached = await getTask(tenant.api, taskId);
    expect(cached.body).toMatchObject({ status: 'failed', series: 0 });

    // Retried elsewhere: this gateway learns of it only from the TASKS stream.
    const other = apiClient(await stack.addGateway(), tenant.bearer);
    expect((await other.post(`/api/v1/tasks/${taskId}/retry`, undefined)).status).toBe(202);
    // The fan-out applies a fact to the read model before it relays it: once the socket has it, a read knows it.
    await ws.waitFor('queued again', (m) => m.type === 'job_status' && m.job_id === taskId && statusOf(m) === 'queued');
    const requeued = await getTask(tenant.api, taskId);
    expect(requeued.body.series).toBe(1);
    expect(requeued.body.status).not.toBe('failed');

    await ws.waitFor(
      'completed after the retry',
      (m) => m.type === 'job_status' && m.job_id === taskId && statusOf(m) === 'completed',
    );
    await lastProgress(ws, taskId);
    const done = await getTask(tenant.api, taskId);
    expect(done.body).toMatchObject({ status: 'completed', series: 1 });
    // The completed view is cached again once the consumer is caught up: a read that overlapped a
    // fact still in flight is not kept (that rule has its own test below), so this may take a read more.
    await eventually(
      'the completed view served from the cache',
      async () => {
        const hitsBefore = (await lookups()).hit;
        expect((await getTask(tenant.api, taskId)).body).toEqual(done.body);
        return (await lookups()).hit - hitsBefore === 1 ? true : undefined;
      },
      10_000,
    );
    ws.close();
  });

  it("patches a running attempt's stage and percent from its progress; another attempt's progress evicts", async () => {
    const tenant = await newTenant(stack, 'tenant-cache-progress', []);
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const { taskId } = await finishedTask(tenant, ws, 'short.mp4');
    // The row as it is while attempt 1 runs (the task's own run is over: no fact of it is still on its way).
    await stack.sql(
      'repurposer',
      "update $schema.tasks set status = 'processing', stage = 'downloading', percent = 0 where id = ?",
      [taskId],
    );
    await getTask(tenant.api, taskId);
    expect((await getTask(tenant.api, taskId)).body).toMatchObject({
      status: 'processing',
      stage: 'downloading',
      attempt: 1,
    });

    const progress = async (attempt: number, percent: number) => {
      const event = makeEnvelope('task.progress.v1', 'repurposer', tenant.account.id, {
        taskId,
        generationId: null,
        stage: 'rendering' as const,
        percent,
        message: 'rendering',
        etaSeconds: null,
        attempt,
      });
      await publishEvent(
        stack.repurposer!.platform.messaging,
        subjects.taskProgress(tenant.account.id),
        event,
        TaskProgress,
      );
      await ws.waitFor(
        'the progress',
        (m) => m.type === 'job_progress' && m.job_id === taskId && m.progress === percent,
      );
    };

    await progress(1, 42);
    const before = await lookups();
    const patched = await getTask(tenant.api, taskId);
    expect(patched.body).toMatchObject({ status: 'processing', stage: 'rendering', percent: 42, attempt: 1 });
    expect((await lookups()).hit - before.hit).toBe(1);

    // A superseded or newer attempt's progress says nothing certain about this view: it goes.
    await progress(2, 43);
    const missesBefore = (await lookups()).miss;
    expect((await getTask(tenant.api, taskId)).body).toMatchObject({ stage: 'downloading', percent: 0 });
    expect((await lookups()).miss - missesBefore).toBe(1);
    ws.close();
  });

  it('keeps at most its configured number of views, the least recently used going first, none past its age', async () => {
    const tenant = await newTenant(stack, 'tenant-cache-lru', []);
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await finishedTask(tenant, ws, 'short.mp4')).taskId);
    ws.close();

    const real = createForward(stack.gateway.platform.messaging, 5_000, stack.logs.log);
    const asked: string[] = [];
    const counting: Forward = (decl, req) => {
      asked.push((req as { taskId: string }).taskId);
      return real(decl, req);
    };
    let clock = 0;
    const model = createTaskReadModel({ capacity: 2, maxAgeMs: 60_000, runningMaxAgeMs: 2_000, now: () => clock });
    model.caughtUp(); // no stream here: nothing makes these views stale
    const forward = readThroughForward(counting, model);
    const principal = { id: 'tenant-cache-lru', roles: [] };
    const read = (taskId: string) => forward(repurposerCommands.getTask, { principal, taskId });

    for (const id of ids) await read(id);
    expect(model.size).toBe(2);
    asked.length = 0;
    await read(ids[2]!); // kept
    await read(ids[1]!); // kept
    await read(ids[0]!); // pushed out by the third: asked again (and ids[2] now goes)
    await read(ids[1]!);
    expect(asked).toEqual([ids[0]]);
    expect(model.size).toBe(2);

    // Facts waiting behind the last one delivered: the owner is asked (its answer is not kept), and
    // the other entries are served again once caught up.
    model.behind();
    asked.length = 0;
    await read(ids[0]!);
    model.caughtUp();
    await read(ids[1]!);
    expect(asked).toEqual([ids[0]]);

    // Past its age a view is asked for again, however recently it was used.
    clock = 60_001;
    asked.length = 0;
    await read(ids[1]!);
    await read(ids[1]!);
    expect(asked).toEqual([ids[1]]);

    // A task that has not ended can change with no fact (a cancel turns it `cancelling`): its view
    // is served for 2 s at most, while an ended one of the same age still is.
    await stack.sql('repurposer', "update $schema.tasks set status = 'processing' where id = ?", [ids[2]]);
    asked.length = 0;
    await read(ids[2]!); // now processing, pushed ids[0] out
    await read(ids[1]!);
    clock += 2_001;
    await read(ids[1]!);
    await read(ids[2]!);
    await read(ids[2]!);
    expect(asked).toEqual([ids[2], ids[2]]);
  });

  it('does not keep an answer a status fact overtook while it was on its way', async () => {
    const tenant = await newTenant(stack, 'tenant-cache-race', []);
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const { taskId, status } = await finishedTask(tenant, ws, 'flaky-race.mp4');
    expect(status).toBe('failed');

    // A read model of our own, fed by a fan-out of our own, in front of a forward whose answers we hold.
    const m = stack.gateway.platform.messaging;
    const model = createTaskReadModel({ capacity: 10, maxAgeMs: 60_000, runningMaxAgeMs: 60_000 });
    const registry = createSubscriptionRegistry();
    const fanout = await startStatusFanout(m, registry, stack.logs.log, 1, model);
    const seen = new Map([
      ['queued', deferred()],
      ['completed', deferred()],
    ]);
    registry.add(taskId, {
      deliver: (e) => {
        const s = (e.message.status as { status?: string } | undefined)?.status;
        if (!s) return;
        seen.get(s)?.resolve();
      },
    });
    const real = createForward(m, 5_000, stack.logs.log);
    let gate = deferred();
    const reached = deferred();
    let asked = 0;
    const held: Forward = async (decl, req) => {
      asked++;
      reached.resolve();
      const answer = await real(decl, req);
      await gate.promise;
      return answer;
    };
    const forward = readThroughForward(held, model);
    const read = () =>
      forward(repurposerCommands.getTask, { principal: { id: 'tenant-cache-race', roles: [] }, taskId });
    try {
      expect(model.fresh).toBe(true);
      // The owner answers "failed"; before that answer is back, the retry's `queued` fact is applied.
      const inFlight = read();
      await reached.promise;
      expect((await tenant.api.post(`/api/v1/tasks/${taskId}/retry`, undefined)).status).toBe(202);
      await seen.get('queued')!.promise;
      gate.resolve();
      expect((await inFlight).status).toBe('failed'); // that caller was answered before the retry was seen…
      expect(model.size).toBe(0); // …but nobody else is

      await seen.get('completed')!.promise;
      gate = deferred();
      gate.resolve();
      asked = 0;
      expect(await read()).toMatchObject({ status: 'completed', series: 1 });
      expect(await read()).toMatchObject({ status: 'completed', series: 1 });
      expect(asked).toBe(1); // no fact in between: the first answer was kept
    } finally {
      await fanout.stop();
      ws.close();
    }
  });

  it('serves nothing from the cache while its stream consumer has lapsed, and again once caught up', async () => {
    const tenant = await newTenant(stack, 'tenant-cache-lapse', []);
    const ws = await watchAccount(stack, tenant.bearer, tenant.account.id);
    const { taskId } = await finishedTask(tenant, ws, 'short.mp4');
    const view = (await getTask(tenant.api, taskId)).body;
    const hitsBefore = (await lookups()).hit;
    await getTask(tenant.api, taskId);
    expect((await lookups()).hit - hitsBefore).toBe(1);
    const transitionsBefore = await transitions();

    // Every gateway's ordered TASKS consumer goes (durables are other services'): the ordered
    // consumer is told, and recreates itself later from where it was.
    const m = stack.gateway.platform.messaging;
    for await (const c of m.jsm.consumers.list(m.stream('TASKS')))
      if (!c.config.durable_name) await m.jsm.consumers.delete(m.stream('TASKS'), c.name);
    // The consumer's notification arrives on its own schedule: read until one read is counted as behind.
    const lapsed = await eventually(
      'a read while the consumer has lapsed',
      async () => {
        const before = (await lookups()).behind;
        const answer = await getTask(tenant.api, taskId);
        return (await lookups()).behind > before ? answer : undefined;
      },
      60_000,
    );
    expect(lapsed.body).toEqual(view);

    // A fact delivered by the recreated consumer with nothing behind it: caught up again.
    const event = makeEnvelope('task.progress.v1', 'repurposer', tenant.account.id, {
      taskId: crypto.randomUUID(),
      generationId: null,
      stage: 'rendering' as const,
      percent: 7,
      message: 'another task',
      etaSeconds: null,
      attempt: 1,
    });
    await publishEvent(m, subjects.taskProgress(tenant.account.id), event, TaskProgress);
    await ws.waitFor('the fact after the lapse', (msg) => msg.job_id === event.data.taskId, 90_000);
    // The lapse emptied the cache (facts may have been missed): one miss, then hits.
    const before = await lookups();
    await getTask(tenant.api, taskId);
    expect((await getTask(tenant.api, taskId)).body).toEqual(view);
    const after = await lookups();
    expect([after.miss - before.miss, after.hit - before.hit, after.behind - before.behind]).toEqual([1, 1, 0]);
    // The metric an operator reads to tell why reads went to the owner counted both changes.
    const transitionsAfter = await transitions();
    expect(transitionsAfter.lapse).toBeGreaterThan(transitionsBefore.lapse);
    expect(transitionsAfter.caughtUp).toBeGreaterThan(transitionsBefore.caughtUp);
    ws.close();
  }, 120_000);
});
