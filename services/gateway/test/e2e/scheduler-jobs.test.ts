import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifierCommands, uuidv7, type JobRunView } from '@reelforge/contracts';
import { serveCommand } from '@reelforge/messaging';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { notifierService } from '@reelforge/notifier';
import { createSchedulerService, type SchedulerHandle } from '@reelforge/scheduler';
import { eventually } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// The scheduler's jobs on the real stack, its clock controlled by the test. 2026-03-08 is the day
// New York moves to daylight time: 07:00Z is 03:00 EDT (02:00 local never happens that day).
describe('scheduler jobs', () => {
  let stack: Stack;
  let scheduler: BootedService<{ DB_SCHEMA: string }>;
  let handle: SchedulerHandle;
  let now = new Date('2026-03-08T07:00:00Z');
  let ops: ReturnType<typeof apiClient>;
  const ids: Record<string, string> = {};

  /** An account of its own tenant with auto-generation set, and `sources` sources. */
  async function account(
    key: string,
    s: { timezone: string; hour: number; enabled?: boolean; sources?: number; type?: string; count?: number },
  ): Promise<string> {
    const tenant = apiClient(stack.gatewayUrl, await stack.bearer(`tenant-${key}`));
    const id = (await tenant.createAccount(key)).id;
    const res = await tenant.call(`/api/v1/accounts/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({
        timezone: s.timezone,
        autoGenerateHour: s.hour,
        autoGenerateEnabled: s.enabled ?? true,
        ...(s.type ? { autoGenerateType: s.type, autoGenerateCount: s.count } : {}),
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    for (let i = 0; i < (s.sources ?? 1); i++) await tenant.addSource(id, `https://v.example/${key}-${i}.mp4`);
    ids[key] = id;
    return id;
  }
  const generationsOf = (accountId: string) =>
    stack.sql<{ id: string; idempotency_key: string | null }>(
      'orchestrator',
      'select id, idempotency_key from $schema.generations where account_id = ?',
      [accountId],
    );

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false });
    scheduler = await bootService(
      createSchedulerService({ clock: () => now, inProcess: false, onStarted: (h) => (handle = h) }),
      { ...stack.env, DB_SCHEMA: `${stack.token}_scheduler`, SCHEDULER_MANUAL_RUN_WAIT: '2s' },
      { log: stack.logs.log, tracer: trace.getTracer('test') },
    );
    ops = apiClient(stack.gatewayUrl, await stack.bearer('ops', ['operator']));
    await account('utc7', { timezone: 'UTC', hour: 7 });
    // Its own settings: two `reels` clips per run instead of the default one `shorts`.
    await account('tokyo16', { timezone: 'Asia/Tokyo', hour: 16, type: 'reels', count: 2, sources: 2 });
    await account('ny3', { timezone: 'America/New_York', hour: 3 });
    await account('ny2', { timezone: 'America/New_York', hour: 2 });
    await account('tokyo7', { timezone: 'Asia/Tokyo', hour: 7 });
    await account('off', { timezone: 'UTC', hour: 7, enabled: false });
    await account('empty', { timezone: 'UTC', hour: 7, sources: 0 });
    const locked = await account('locked', { timezone: 'UTC', hour: 7 });
    // A shorts generation of this account is still running: it holds the lock.
    const running = uuidv7();
    await stack.sql(
      'orchestrator',
      `insert into $schema.generations (id, account_id, content_type, status, total_requested, queued) values (?, ?, 'shorts', 'queuing', 0, 0)`,
      [running, locked],
    );
    await stack.sql(
      'orchestrator',
      `insert into $schema.generation_locks (account_id, content_type, generation_id, expires_at) values (?, 'shorts', ?, now() + interval '1 hour')`,
      [locked, running],
    );
  });
  afterAll(async () => {
    await scheduler?.stop();
    await stack?.stop();
  });

  it('auto-generates for exactly the due accounts across time zones (DST day), skips locked ones, and runs a slot once', async () => {
    const outcomes = await handle.runDue('auto_generate_content');
    // The catch-up window (1 h) also holds the 06:00 slot, when nobody is due.
    expect(outcomes.map((o) => [o.outcome, o.run.slot, o.run.status])).toEqual([
      ['ran', '2026-03-08T06:00:00.000Z', 'succeeded'],
      ['ran', '2026-03-08T07:00:00.000Z', 'succeeded'],
    ]);
    expect(outcomes[0]!.run.summary).toMatchObject({ due: 0, started: 0 });
    expect(outcomes[1]!.run.summary).toEqual({
      at: '2026-03-08T07:00:00.000Z',
      due: 5,
      started: 3,
      alreadyStarted: 0,
      skippedLocked: 1,
      failed: { NO_SOURCES_AVAILABLE: 1 },
    });
    for (const key of ['utc7', 'ny3'])
      expect(
        (await generationsOf(ids[key]!)).map((g) => g.idempotency_key),
        key,
      ).toEqual(['auto:shorts:2026-03-08T07:00:00.000Z']);
    const reels = await stack.sql<{ content_type: string; total_requested: number; idempotency_key: string }>(
      'orchestrator',
      'select content_type, total_requested, idempotency_key from $schema.generations where account_id = ?',
      [ids.tokyo16],
    );
    expect(reels).toEqual([
      { content_type: 'reels', total_requested: 2, idempotency_key: 'auto:reels:2026-03-08T07:00:00.000Z' },
    ]);
    for (const key of ['ny2', 'tokyo7', 'off', 'empty']) expect(await generationsOf(ids[key]!), key).toEqual([]);
    expect(await generationsOf(ids.locked!)).toHaveLength(1); // only the one that held the lock

    // Fired again in the same slot (a second CronJob, a restart): nothing runs, nothing starts.
    expect(await handle.runDue('auto_generate_content')).toEqual([]);
    for (const key of ['utc7', 'tokyo16', 'ny3']) expect(await generationsOf(ids[key]!), key).toHaveLength(1);
    const rows = await stack.sql<{ n: string }>(
      'scheduler',
      `select count(*) as n from $schema.job_runs where job = 'auto_generate_content'`,
    );
    expect(Number(rows[0]!.n)).toBe(2);
  });

  it('runs the cleanup job from the scheduler, which frees an expired lock', async () => {
    const accountId = ids.utc7!;
    const stale = uuidv7();
    await stack.sql(
      'orchestrator',
      `insert into $schema.generations (id, account_id, content_type, status, total_requested, queued) values (?, ?, 'stale', 'queuing', 0, 0)`,
      [stale, accountId],
    );
    await stack.sql(
      'orchestrator',
      `insert into $schema.generation_locks (account_id, content_type, generation_id, acquired_at, expires_at) values (?, 'stale', ?, now() - interval '4 hours', now() - interval '1 hour')`,
      [accountId, stale],
    );
    now = new Date('2026-03-08T07:10:00Z');
    const [outcome] = await handle.runDue('cleanup_stuck_generations');
    expect(outcome).toMatchObject({
      outcome: 'ran',
      run: { slot: '2026-03-08T07:00:00.000Z', status: 'succeeded', summary: { locksRemoved: 1 } },
    });
    expect(
      await stack.sql(
        'orchestrator',
        `select 1 from $schema.generation_locks where account_id = ? and content_type = 'stale'`,
        [accountId],
      ),
    ).toEqual([]);
    expect(await handle.runDue('cleanup_stuck_generations')).toEqual([]);
  });

  it('marks a run whose lease ran out as died and retries it in the same slot', async () => {
    const dead = uuidv7();
    await stack.sql(
      'scheduler',
      `insert into $schema.job_runs (id, job, slot, status, started_at, locked_until, locked_by) values (?, 'backlog_maintenance', '2026-03-08T07:10:00Z', 'running', now() - interval '5 minutes', now() - interval '1 minute', 'gone')`,
      [dead],
    );
    const [outcome] = await handle.runDue('backlog_maintenance');
    expect(outcome).toMatchObject({
      outcome: 'ran',
      run: {
        id: dead,
        slot: '2026-03-08T07:10:00.000Z',
        status: 'succeeded',
        attempts: 2,
        summary: { status: 'no owner yet' },
      },
    });
  });

  it('serves job runs and manual runs to operators only', async () => {
    const tenant = apiClient(stack.gatewayUrl, await stack.bearer('tenant-utc7'));
    expect((await tenant.call('/api/v1/jobs/runs')).status).toBe(403);
    expect((await tenant.post('/api/v1/jobs/backlog_maintenance/run', undefined)).status).toBe(403);

    const list = await ops.call('/api/v1/jobs/runs?job=auto_generate_content&limit=1');
    expect(list.status).toBe(200);
    const page1 = (await list.json()) as { items: JobRunView[]; nextCursor: string | null };
    expect(page1.items.map((r) => r.slot)).toEqual(['2026-03-08T07:00:00.000Z']);
    const page2 = (await (
      await ops.call(`/api/v1/jobs/runs?job=auto_generate_content&limit=1&cursor=${page1.nextCursor}`)
    ).json()) as { items: JobRunView[]; nextCursor: string | null };
    expect(page2).toMatchObject({ items: [{ slot: '2026-03-08T06:00:00.000Z' }], nextCursor: null });
    const succeeded = (await (await ops.call('/api/v1/jobs/runs?status=succeeded&limit=100')).json()) as {
      items: JobRunView[];
    };
    expect(succeeded.items.length).toBeGreaterThanOrEqual(4);

    now = new Date('2026-03-08T07:11:12.345Z');
    const run = await ops.post('/api/v1/jobs/send_notification_digest/run', undefined);
    expect(run.status).toBe(200);
    const view = (await run.json()) as JobRunView;
    expect(view).toMatchObject({
      job: 'send_notification_digest',
      slot: '2026-03-08T07:11:12.345Z',
      status: 'succeeded',
    });
    expect(['no owner yet', 'sent']).toContain(view.summary?.status);
    expect((await ops.post('/api/v1/jobs/no_such_job/run', undefined)).status).toBe(404);
  });

  it('answers a manual run that outlasts its wait with 202 and the run still going; the run then finishes', async () => {
    // A digest owner that holds its answer until the test lets it go.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const reached = new Promise<void>((resolve) => (asked = resolve));
    const owner = serveCommand(
      scheduler.platform.messaging,
      notifierCommands.sendDigests,
      async () => {
        asked();
        await held;
        return { sent: 3 };
      },
      { log: stack.logs.log, tracer: trace.getTracer('test') },
    );
    try {
      now = new Date('2026-03-08T07:13:00Z');
      const res = await ops.post('/api/v1/jobs/send_notification_digest/run', undefined);
      await reached;
      expect(res.status).toBe(202);
      const running = (await res.json()) as JobRunView;
      expect(running).toMatchObject({
        job: 'send_notification_digest',
        slot: '2026-03-08T07:13:00.000Z',
        status: 'running',
      });
      release();
      const finished = await eventually('the run is recorded as finished', async () => {
        const page = (await (await ops.call('/api/v1/jobs/runs?job=send_notification_digest&limit=100')).json()) as {
          items: JobRunView[];
        };
        const run = page.items.find((r) => r.id === running.id);
        return run?.status === 'succeeded' ? run : undefined;
      });
      expect(finished.summary).toMatchObject({ status: 'sent', result: { sent: 3 } });
    } finally {
      release();
      await owner.drain();
    }
  });

  it('calls the notifier digest once the notifier serves it', async () => {
    const notifier = await bootService(
      notifierService,
      { ...stack.env, DB_SCHEMA: `${stack.token}_notifier`, MAIL_DIR: join(stack.mediaRoot, 'mail') },
      { log: stack.logs.log, tracer: trace.getTracer('test') },
    );
    try {
      now = new Date('2026-03-08T07:12:00Z');
      const view = (await (
        await ops.post('/api/v1/jobs/send_notification_digest/run', undefined)
      ).json()) as JobRunView;
      expect(view).toMatchObject({ status: 'succeeded', summary: { status: 'sent', result: { sent: 0 } } });
    } finally {
      await notifier.stop();
    }
  });

  it('in-process, catches up at start: the newest missed slot of each job (its own job_runs), auto-generation starting nobody twice', async () => {
    const schema = `${stack.token}_scheduler_b`;
    const clock = new Date('2026-03-08T07:20:00Z');
    const second = await bootService(
      createSchedulerService({ clock: () => clock, inProcess: true }),
      { ...stack.env, DB_SCHEMA: schema },
      { log: stack.logs.log, tracer: trace.getTracer('test') },
    );
    try {
      // The cron loop runs on its own after start: poll its table (a database row emits no event).
      const rows = await eventually('catch-up runs', async () => {
        const r = await stack.sql<{ job: string; slot: Date; status: string; summary: Record<string, unknown> }>(
          'orchestrator',
          `select job, slot, status, summary from "${schema}".job_runs where status <> 'running' order by job`,
        );
        return r.length === 4 ? r : undefined;
      });
      expect(rows.map((r) => [r.job, new Date(r.slot).toISOString(), r.status])).toEqual([
        ['auto_generate_content', '2026-03-08T07:00:00.000Z', 'succeeded'],
        ['backlog_maintenance', '2026-03-08T07:20:00.000Z', 'succeeded'],
        ['cleanup_stuck_generations', '2026-03-08T07:00:00.000Z', 'succeeded'],
        ['send_notification_digest', '2026-03-08T07:00:00.000Z', 'succeeded'],
      ]);
      // Another scheduler's table, the same hour: the orchestrator's slot key starts nothing again.
      expect(rows[0]!.summary).toMatchObject({ due: 5, started: 0, alreadyStarted: 3, skippedLocked: 1 });
    } finally {
      await second.stop();
    }
  });
});
