import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@reelforge/contracts';
import { startStack, type Stack } from './support/stack.ts';

// Nothing grows forever: relayed outbox rows, old processed-event ids, spent idempotency records
// and the earlier attempts of long-finished tasks are deleted; what is still needed stays.
describe('pruning', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('deletes expired rows of each service and keeps the rest', async () => {
    const envelope = JSON.stringify({ id: uuidv7() });
    for (const service of ['orchestrator', 'repurposer'] as const) {
      await stack.sql(
        service,
        `insert into $schema.outbox (id, subject, envelope, created_at, published_at) values (?, 'x', ?::jsonb, now() - interval '9 days', now() - interval '8 days'), (?, 'x', ?::jsonb, now() - interval '9 days', null), (?, 'x', ?::jsonb, now(), now())`,
        [uuidv7(), envelope, uuidv7(), envelope, uuidv7(), envelope],
      );
      await stack.sql(
        service,
        `insert into $schema.inbox (consumer, event_id, processed_at) values ('c', ?, now() - interval '9 days'), ('c', ?, now())`,
        [uuidv7(), uuidv7()],
      );
    }
    await stack.sql(
      'gateway',
      `insert into $schema.idempotency_records (principal_id, key, route, request_hash, created_at) values ('p', 'old', 'r', 'h', now() - interval '3 days'), ('p', 'new', 'r', 'h', now())`,
    );
    const [oldTask, recentTask] = [uuidv7(), uuidv7()];
    const account = uuidv7();
    await stack.sql(
      'repurposer',
      `insert into $schema.tasks (id, account_id, source_url, content_type, status, attempt, finished_at) values (?, ?, 'https://x/a.mp4', 'shorts', 'completed', 3, now() - interval '40 days'), (?, ?, 'https://x/b.mp4', 'shorts', 'completed', 2, now())`,
      [oldTask, account, recentTask, account],
    );
    await stack.sql(
      'repurposer',
      `insert into $schema.task_attempts (task_id, attempt) values (?, 1), (?, 2), (?, 3), (?, 1), (?, 2)`,
      [oldTask, oldTask, oldTask, recentTask, recentTask],
    );

    const deleted = {
      orchestrator: await stack.orchestrator!.prune(),
      repurposer: await stack.repurposer!.prune(),
      gateway: await stack.gateway.prune(),
    };
    expect(deleted.orchestrator).toMatchObject({ outbox: 1, inbox: 1 });
    expect(deleted.repurposer).toMatchObject({ outbox: 1, inbox: 1, attempts: 2 });
    expect(deleted.gateway).toMatchObject({ idempotency: 1 });

    for (const service of ['orchestrator', 'repurposer'] as const) {
      // The unpublished row stays whatever its age: it has not reached the broker yet.
      expect(
        await stack.sql(
          service,
          `select 1 from $schema.outbox where published_at is null and created_at < now() - interval '8 days'`,
        ),
      ).toHaveLength(1);
    }
    expect(
      (
        await stack.sql<{ key: string }>(
          'gateway',
          `select key from $schema.idempotency_records where principal_id = 'p'`,
        )
      ).map((r) => r.key),
    ).toEqual(['new']);
    const attempts = await stack.sql<{ task_id: string; attempt: number }>(
      'repurposer',
      `select task_id, attempt from $schema.task_attempts where task_id in (?, ?) order by task_id, attempt`,
      [oldTask, recentTask],
    );
    expect(attempts).toHaveLength(3);
    expect(attempts).toEqual(
      expect.arrayContaining([
        { task_id: oldTask, attempt: 3 },
        { task_id: recentTask, attempt: 1 },
        { task_id: recentTask, attempt: 2 },
      ]),
    );
    // A second run finds nothing more.
    expect(Object.values(await stack.repurposer!.prune()).every((n) => n === 0)).toBe(true);
  });
});
