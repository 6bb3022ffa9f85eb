import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uuidv7 } from '@reelforge/contracts';
import { eventually } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

// Idempotency-Key end to end: when the gateway gives up on an owner that then commits (503), or a
// gateway dies holding a key, a retry with the same key gets what the first request made, never a
// second render, and never a 409 for a request nobody is running any more.
describe('Idempotency-Key across gateway timeouts and crashes', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;
  const subject = 'tenant-idem-recovery';

  beforeAll(async () => {
    // A short command timeout, so a request the owner is held on answers 503 quickly; noop renders.
    stack = await startStack({ env: { COMMAND_TIMEOUT: '1500ms', RENDER_STAGE: 'noop' } });
    api = apiClient(stack.gatewayUrl, await stack.bearer(subject));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Runs `sql` in an open transaction on its own connection, holding its locks until released. */
  async function holdLocks(sql: string, params: unknown[] = []): Promise<() => Promise<void>> {
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    await db.query('begin');
    await db.query(
      sql
        .replaceAll('$orchestrator', `"${stack.token}_orchestrator"`)
        .replaceAll('$repurposer', `"${stack.token}_repurposer"`),
      params,
    );
    return async () => {
      await db.query('rollback');
      await db.end();
    };
  }
  const post = (path: string, body: unknown, key: string) =>
    api.call(path, { method: 'POST', body: JSON.stringify(body), headers: { 'idempotency-key': key } });

  it('a start the gateway gave up on (503) is returned, not repeated, when retried with its key', async () => {
    const account = await api.createAccount('Timeout');
    await api.addSource(account.id, 'https://videos.example.com/timeout-1.mp4');
    await api.addSource(account.id, 'https://videos.example.com/timeout-2.mp4');
    // An uncommitted lock row for the same account and type: the orchestrator's start waits on it.
    const release = await holdLocks(
      `with g as (insert into $orchestrator.generations (id, account_id, content_type, status, total_requested) values ($1, $2, 'shorts', 'queuing', 0) returning id)
       insert into $orchestrator.generation_locks (account_id, content_type, generation_id, expires_at) select $2, 'shorts', id, now() + interval '1 hour' from g`,
      [uuidv7(), account.id],
    );
    let first: Response;
    try {
      first = await post(`/api/v1/accounts/${account.id}/generations`, { type: 'shorts' }, 'start-1');
    } finally {
      await release();
    }
    expect(first.status).toBe(503);
    // The owner goes on once the blocker is gone, and commits the generation the client never heard of.
    const [made] = await eventually('the generation committed after the 503', async () => {
      const rows = await stack.sql<{ id: string }>(
        'orchestrator',
        "select id from $schema.generations where account_id = ? and idempotency_key = 'start-1'",
        [account.id],
      );
      return rows.length ? rows : undefined;
    });
    const retry = await post(`/api/v1/accounts/${account.id}/generations`, { type: 'shorts' }, 'start-1');
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as StartedGeneration).generation.id).toBe(made!.id);
    expect(
      await stack.sql('orchestrator', 'select id from $schema.generations where account_id = ?', [account.id]),
    ).toHaveLength(1);
    const jobs = await stack.sql(
      'orchestrator',
      "select 1 from $schema.outbox where envelope->>'type' = 'render.job.requested.v1' and envelope->>'accountId' = ?",
      [account.id],
    );
    expect(jobs).toHaveLength(1);
    // The same key with another request is refused by the owner too, although the gateway has no record of the first.
    const other = await post(`/api/v1/accounts/${account.id}/generations`, { type: 'shorts', count: 2 }, 'start-1');
    expect(other.status).toBe(422);
  });

  it('a task the gateway gave up on (503) is returned, not created twice, when retried with its key', async () => {
    const account = await api.createAccount('Task timeout');
    const body = { accountId: account.id, url: 'http://127.0.0.1:9/task-timeout.mp4' };
    // The repurposer's task insert waits while the table is share-locked.
    const release = await holdLocks('lock table $repurposer.tasks in share mode');
    let first: Response;
    try {
      first = await post('/api/v1/tasks', body, 'task-1');
    } finally {
      await release();
    }
    expect(first.status).toBe(503);
    const [made] = await eventually('the task committed after the 503', async () => {
      const rows = await stack.sql<{ id: string }>('repurposer', 'select id from $schema.tasks where account_id = ?', [
        account.id,
      ]);
      return rows.length ? rows : undefined;
    });
    const retry = await post('/api/v1/tasks', body, 'task-1');
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as { id: string }).id).toBe(made!.id);
    expect(
      await stack.sql('repurposer', 'select id from $schema.tasks where account_id = ?', [account.id]),
    ).toHaveLength(1);
    const jobs = await stack.sql(
      'repurposer',
      "select 1 from $schema.outbox where envelope->>'type' = 'render.job.requested.v1' and envelope->>'accountId' = ?",
      [account.id],
    );
    expect(jobs).toHaveLength(1);
  });

  it('takes over a key whose holder is gone (lease passed) instead of answering 409; a live holder still gets 409', async () => {
    const account = await api.createAccount('Crashed gateway');
    await api.addSource(account.id, 'https://videos.example.com/crash.mp4');
    const route = `POST /api/v1/accounts/${account.id}/generations`;
    const body = { type: 'shorts' };
    const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    // As a gateway that crashed mid-request left them: in progress, no answer.
    const record = (key: string, lease: string) =>
      stack.sql(
        'gateway',
        `insert into $schema.idempotency_records (principal_id, key, route, request_hash, created_at, locked_until, locked_by) values (?, ?, ?, ?, now() - interval '1 minute', now() + ?::interval, 'crashed-request')`,
        [subject, key, route, hash, lease],
      );
    await record('crashed', '-1 second');
    await record('live', '1 hour');

    const live = await post(`/api/v1/accounts/${account.id}/generations`, body, 'live');
    expect(live.status).toBe(409);
    expect(await live.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    const otherBody = await post(`/api/v1/accounts/${account.id}/generations`, { type: 'shorts', count: 3 }, 'crashed');
    expect(otherBody.status).toBe(422);

    const taken = await post(`/api/v1/accounts/${account.id}/generations`, body, 'crashed');
    expect(taken.status).toBe(202);
    const { generation } = (await taken.json()) as StartedGeneration;
    const replay = await post(`/api/v1/accounts/${account.id}/generations`, body, 'crashed');
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as StartedGeneration).generation.id).toBe(generation.id);
    const [stored] = await stack.sql<{ status_code: number; locked_by: string }>(
      'gateway',
      'select status_code, locked_by from $schema.idempotency_records where principal_id = ? and key = ?',
      [subject, 'crashed'],
    );
    expect(stored).toMatchObject({ status_code: 202 });
    expect(stored!.locked_by).not.toBe('crashed-request');
  });
});
