import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  TaskStatusChanged,
  makeEnvelope,
  subjects,
  uuidv7,
  type CancelRequested,
  type DeadLetterView,
} from '@reelforge/contracts';
import { publishEvent, type Messaging } from '@reelforge/messaging';
import { eventually } from '@reelforge/testing';
import {
  createCancelRequestDeadLetterHandler,
  createRunningTasks,
  createTaskStore,
} from '@reelforge/repurposer/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// Dead letters are repaired and can be redriven. A database "outage" is a row lock held by the
// test plus a short lock_timeout: every fold of that generation fails until it is released.
describe('dead-lettered task events and cancel requests', () => {
  let stack: Stack;
  let ops: ReturnType<typeof apiClient>;
  let tenant: ReturnType<typeof apiClient>;
  let accountId: string;
  let m: Messaging;

  beforeAll(async () => {
    stack = await startStack({ env: { EVENT_MAX_DELIVERIES: '2', EVENT_ACK_WAIT: '2s', DB_LOCK_TIMEOUT: '300ms' } });
    ops = apiClient(stack.gatewayUrl, await stack.bearer('ops', ['operator']));
    tenant = apiClient(stack.gatewayUrl, await stack.bearer('tenant-dlq', ['admin']));
    accountId = (await tenant.createAccount('DLQ')).id;
    m = stack.orchestrator!.platform.messaging;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** An open generation with `tasks` queued tasks, written as the orchestrator would have (no render jobs sent). */
  async function openGeneration(tasks: number): Promise<{ id: string; taskIds: string[] }> {
    const id = uuidv7();
    const type = `t${id.slice(-8)}`;
    await stack.sql(
      'orchestrator',
      `insert into $schema.generations (id, account_id, content_type, status, total_requested, queued) values (?, ?, ?, 'queuing', ?, ?)`,
      [id, accountId, type, tasks, tasks],
    );
    await stack.sql(
      'orchestrator',
      `insert into $schema.generation_locks (account_id, content_type, generation_id, expires_at) values (?, ?, ?, now() + interval '1 hour')`,
      [accountId, type, id],
    );
    const taskIds: string[] = [];
    for (let i = 0; i < tasks; i++) {
      const source = await tenant.addSource(accountId, `https://videos.example.com/${id}-${i}.mp4`);
      const taskId = uuidv7();
      taskIds.push(taskId);
      await stack.sql(
        'orchestrator',
        `update $schema.source_videos set state = 'reserved', generation_id = ? where id = ?`,
        [id, source.id],
      );
      await stack.sql(
        'orchestrator',
        `insert into $schema.generation_tasks (task_id, generation_id, source_id, status) values (?, ?, ?, 'queued')`,
        [taskId, id, source.id],
      );
    }
    return { id, taskIds };
  }
  const generation = async (id: string) =>
    (
      await stack.sql<{ status: string; completed: number; cancelled: number; finished_at: Date | null }>(
        'orchestrator',
        'select status, completed, cancelled, finished_at from $schema.generations where id = ?',
        [id],
      )
    )[0]!;
  const statusEvent = (generationId: string, taskId: string, status: 'processing' | 'completed') =>
    makeEnvelope('task.status.v1', 'repurposer', accountId, {
      taskId,
      generationId,
      status,
      attempt: 1,
      series: 0,
      error: null,
      output: status === 'completed' ? { contentIds: [] } : null,
    });

  /** Holds the generation's row lock on its own connection until released: its folds time out meanwhile. */
  async function lockGeneration(id: string): Promise<() => Promise<void>> {
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    await db.query('begin');
    await db.query(`select 1 from "${stack.token}_orchestrator".generations where id = $1 for update`, [id]);
    return async () => {
      await db.query('rollback');
      await db.end();
    };
  }
  async function listed(): Promise<DeadLetterView[]> {
    const res = await ops.call('/api/v1/admin/dead-letters?limit=100');
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: DeadLetterView[] }).items;
  }
  const letterOf = (eventId: string) =>
    eventually(
      `the dead letter of ${eventId}`,
      async () => (await listed()).find((l) => l.payload.includes(eventId)),
      30_000,
      250,
    );

  it('recounts a generation from the repurposer when its task status exhausts its deliveries, and closes it', async () => {
    const g = await openGeneration(1);
    // The repurposer finished the task; only the orchestrator's fold could not record it.
    await stack.sql(
      'repurposer',
      `insert into $schema.tasks (id, account_id, generation_id, source_url, content_type, status, finished_at) values (?, ?, ?, 'https://videos.example.com/x.mp4', 'x', 'completed', now())`,
      [g.taskIds[0], accountId, g.id],
    );
    const release = await lockGeneration(g.id);
    const event = statusEvent(g.id, g.taskIds[0]!, 'processing');
    try {
      await publishEvent(m, subjects.taskStatus(accountId), event, TaskStatusChanged);
      const letter = await letterOf(event.id);
      expect(letter).toMatchObject({ reason: 'max_deliveries', deliveries: 2 });
      expect((await generation(g.id)).status).toBe('queuing');
    } finally {
      await release();
    }
    // Once the database answers again, the dead letter's repair runs (the message came back after ack_wait).
    const repaired = await eventually('the generation closed by the repair', async () => {
      const row = await generation(g.id);
      return row.status === 'completed' ? row : undefined;
    });
    expect(repaired).toMatchObject({ completed: 1 });
    expect(repaired.finished_at).not.toBeNull();
    expect(
      await stack.sql('orchestrator', 'select 1 from $schema.generation_locks where generation_id = ?', [g.id]),
    ).toHaveLength(0);
  });

  it('recounts the generation named by a task status that is not even valid', async () => {
    const g = await openGeneration(1);
    await stack.sql(
      'repurposer',
      `insert into $schema.tasks (id, account_id, generation_id, source_url, content_type, status, finished_at, error_code) values (?, ?, ?, 'https://videos.example.com/y.mp4', 'x', 'failed', now(), 'FFMPEG_FAILED')`,
      [g.taskIds[0], accountId, g.id],
    );
    const bad = {
      ...statusEvent(g.id, g.taskIds[0]!, 'completed'),
      data: { ...statusEvent(g.id, g.taskIds[0]!, 'completed').data, status: 'exploded' },
    };
    await m.js.publish(m.subject(subjects.taskStatus(accountId)), JSON.stringify(bad), { msgID: bad.id });
    expect(await letterOf(bad.id)).toMatchObject({ reason: 'invalid' });
    await eventually('the generation closed by the repair', async () =>
      (await generation(g.id)).status === 'failed' ? true : undefined,
    );
  });

  it('redrives a dead letter for an operator only; the redriven status is then folded', async () => {
    const g = await openGeneration(1); // The repurposer knows nothing of this task: the repair has nothing to go on.
    const release = await lockGeneration(g.id);
    const event = statusEvent(g.id, g.taskIds[0]!, 'completed');
    let letter: DeadLetterView;
    try {
      await publishEvent(m, subjects.taskStatus(accountId), event, TaskStatusChanged);
      letter = await letterOf(event.id);
    } finally {
      await release();
    }
    expect((await generation(g.id)).status).toBe('queuing');
    // One more letter (not JSON at all), so the list has two pages of one.
    const junkId = uuidv7();
    await m.js.publish(m.subject(subjects.taskStatus(accountId)), `not json ${junkId}`, { msgID: junkId });
    await letterOf(junkId);
    const page = async (query: string) =>
      (await (await ops.call(`/api/v1/admin/dead-letters?${query}`)).json()) as {
        items: DeadLetterView[];
        nextCursor: string | null;
      };
    const firstPage = await page('limit=1');
    expect(firstPage.items).toHaveLength(1);
    expect(firstPage.nextCursor).toBe(String(firstPage.items[0]!.id));
    const rest = await page(`limit=100&cursor=${firstPage.nextCursor}`);
    expect(rest.items.every((l) => l.id > firstPage.items[0]!.id)).toBe(true);
    expect([...firstPage.items, ...rest.items].map((l) => l.id)).toContain(letter.id);

    for (const res of [
      await tenant.call('/api/v1/admin/dead-letters'),
      await tenant.post(`/api/v1/admin/dead-letters/${letter.id}/redrive`, undefined),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'FORBIDDEN', details: { requiredRole: 'operator' } } });
    }
    const redriven = await ops.post(`/api/v1/admin/dead-letters/${letter.id}/redrive`, undefined);
    expect(redriven.status).toBe(200);
    expect(await redriven.json()).toMatchObject({ id: letter.id, subject: letter.subject, duplicate: false });
    const folded = await eventually('the redriven status folded', async () => {
      const row = await generation(g.id);
      return row.status === 'completed' ? row : undefined;
    });
    expect(folded).toMatchObject({ completed: 1 });
    expect((await listed()).map((l) => l.id)).not.toContain(letter.id);
    expect((await ops.post(`/api/v1/admin/dead-letters/${letter.id}/redrive`, undefined)).status).toBe(404);
  });

  it('re-issues a dead-lettered cancel request: tasks are recorded cancelled and killed, and the generation ends cancelled', async () => {
    const g = await openGeneration(2);
    const [queued, notArrived] = g.taskIds as [string, string];
    await stack.sql(
      'repurposer',
      `insert into $schema.tasks (id, account_id, generation_id, source_url, content_type, status) values (?, ?, ?, 'https://videos.example.com/q.mp4', 'x', 'queued')`,
      [queued, accountId, g.id],
    );
    const repurposer = stack.repurposer!.platform;
    const kills: string[] = [];
    const sub = repurposer.messaging.nc.subscribe(repurposer.messaging.subject('repurposer.kill.>'), {
      callback: (_err, msg) => {
        kills.push(msg.subject.split('.').pop() ?? '');
      },
    });
    const running = createRunningTasks(repurposer.messaging, stack.logs.log);
    try {
      const handler = createCancelRequestDeadLetterHandler({
        tasks: createTaskStore({
          orm: repurposer.orm,
          schema: repurposer.schema,
          service: 'repurposer',
          afterCommit: () => undefined,
        }),
        running,
        log: stack.logs.log,
      });
      const request: CancelRequested = makeEnvelope('content.cancel.requested.v1', 'content-orchestrator', accountId, {
        generationId: g.id,
        taskIds: g.taskIds,
        reason: 'generation cancelled by request',
      });
      // As the consumer calls it when the request ran out of deliveries.
      await handler(request, 'max_deliveries', { code: 'UNEXPECTED', message: 'database unavailable' });
      await eventually('both kills broadcast', async () => (kills.length >= 2 ? true : undefined));
      expect(kills.sort()).toEqual([...g.taskIds].sort());
    } finally {
      await sub.drain();
      await running.close();
    }
    expect(await stack.sql('repurposer', 'select status from $schema.tasks where id = ?', [queued])).toEqual([
      { status: 'cancelled' },
    ]);
    const recorded = await stack.sql<{ task_id: string }>(
      'repurposer',
      'select task_id from $schema.task_cancellations where task_id = any(?::uuid[]) order by task_id',
      [`{${g.taskIds.join(',')}}`],
    );
    expect(recorded.map((r) => r.task_id)).toEqual([queued, notArrived].sort());
    // The cancelled statuses reach the orchestrator through the outbox and close the generation.
    await eventually('the generation cancelled', async () =>
      (await generation(g.id)).status === 'cancelled' ? true : undefined,
    );
  });
});
