import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type RenderJobRequested } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';
import { eventually } from '@reelforge/testing';
import { createTaskStore, type StoredClip, type TaskStore } from '../../src/tasks/task-store.ts';
import { renderJob } from '../support/render-job.ts';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

// First deliveries and completions of many tasks at once, on the real database: they are
// group-committed (rows written by one statement share its transaction's now()), each task is
// announced exactly once, and every corner the one statement cannot take (a cancel, an existing
// task, a stale attempt, a task twice in a batch, a failing batch) ends as the transaction decides.
describe('first deliveries and completions, group-committed', () => {
  let svc: ServiceHarness;
  let tasks: TaskStore;
  let stop: () => Promise<void>;
  let orm: MikroORM;
  beforeAll(async () => {
    svc = await createServiceHarness();
    const booted = await svc.boot();
    orm = booted.platform.orm;
    stop = () => booted.stop();
    tasks = createTaskStore({
      orm: booted.platform.orm,
      schema: svc.schema,
      service: 'repurposer',
      afterCommit: () => undefined,
    });
  });
  afterAll(async () => {
    await stop?.();
    await svc?.close();
  });

  const job = (): RenderJobRequested => renderJob('tenant-fast');
  const clip = (clipIndex: number): StoredClip => ({
    clipIndex,
    mediaKey: `m/${clipIndex}.mp4`,
    durationSeconds: 12.5,
    sizeBytes: 1000,
    width: 1080,
    height: 1920,
    checksumSha256: 'ab'.repeat(32),
    segment: [{ start: 1, end: 13.5 }],
    score: 0.7,
    reason: 'a question and its answer',
    captioned: true,
    title: null,
    thumbnailKey: `m/${clipIndex}.jpg`,
  });
  const events = (taskIds: string[], status: string) =>
    svc.sql<{ task_id: string; attempt: number }>(
      `select envelope->'data'->>'taskId' as task_id, (envelope->'data'->>'attempt')::int as attempt
         from "${svc.schema}".outbox where envelope->'data'->>'status' = $2 and envelope->'data'->>'taskId' = any($1::text[])`,
      [taskIds, status],
    );
  const distinctTimes = async (sql: string, taskIds: string[]) => (await svc.sql<{ n: number }>(sql, [taskIds]))[0]!.n;

  it('a burst of first deliveries: created together, each announced once; a cancelled, an existing and a repeated task take the transaction', async () => {
    const fresh = Array.from({ length: 20 }, () => job());
    const cancelled = job();
    const existing = job();
    await tasks.requestCancel(
      [{ taskId: cancelled.data.taskId, accountId: cancelled.accountId, generationId: null }],
      'stop',
    );
    expect(await tasks.beginAttempt(existing, 4)).toMatchObject({ kind: 'run', attempt: 1 });

    const answers = await Promise.all([
      ...fresh.map((j) => tasks.beginAttempt(j, 4)),
      tasks.beginAttempt(cancelled, 4),
      tasks.beginAttempt(existing, 4),
      tasks.beginAttempt(fresh[3]!, 4), // a redelivery arriving beside the first delivery
    ]);
    expect(answers.slice(0, 20)).toEqual(fresh.map(() => ({ kind: 'run', attempt: 1, series: 0, used: 1 })));
    expect(answers[20]).toEqual({ kind: 'cancelled' });
    expect(answers[21]).toMatchObject({ kind: 'run', attempt: 2 });
    expect(answers[22]).toMatchObject({ kind: 'run', attempt: 2 });

    const ids = fresh.map((j) => j.data.taskId);
    const announced = await events(ids, 'processing');
    expect(
      announced
        .filter((e) => e.attempt === 1)
        .map((e) => e.task_id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(announced.filter((e) => e.attempt === 2).map((e) => e.task_id)).toEqual([fresh[3]!.data.taskId]);
    const attempts = await svc.sql<{ n: number }>(
      `select count(*)::int as n from "${svc.schema}".task_attempts where task_id = any($1::uuid[])`,
      [ids],
    );
    expect(attempts[0]!.n).toBe(21);
    // The first start runs alone; the other 19, queued meanwhile, go in one statement.
    expect(
      await distinctTimes(
        `select count(distinct started_at)::int as n from "${svc.schema}".tasks where id = any($1::uuid[])`,
        ids,
      ),
    ).toBeLessThanOrEqual(2);
    const rows = await svc.sql<{ status: string; owner_id: string; n: number }>(
      `select status, owner_id, count(*)::int as n from "${svc.schema}".tasks where id = any($1::uuid[]) group by 1, 2`,
      [ids],
    );
    expect(rows).toEqual([{ status: 'processing', owner_id: 'tenant-fast', n: 20 }]);
  });

  it('a burst of completions: written together with their clips, each announced once; a stale attempt writes nothing', async () => {
    const jobs = Array.from({ length: 12 }, () => job());
    for (const j of jobs) await tasks.beginAttempt(j, 4);
    const stale = jobs[11]!;
    expect(await tasks.beginAttempt(stale, 4)).toMatchObject({ attempt: 2 }); // its attempt 1 is superseded

    const answers = await Promise.all(
      jobs.map((j, i) => tasks.complete(j, 1, 0, i % 2 ? [clip(0), clip(1)] : [clip(0)])),
    );
    answers.slice(0, 11).forEach((ids, i) => expect(ids).toHaveLength(i % 2 ? 2 : 1));
    expect(answers[11]).toBeNull();

    const done = jobs.slice(0, 11).map((j) => j.data.taskId);
    const announced = await events([...done, stale.data.taskId], 'completed');
    expect(announced.map((e) => e.task_id).sort()).toEqual([...done].sort());
    const clips = await svc.sql<{ task_id: string; id: string; owner_id: string }>(
      `select task_id, id, owner_id from "${svc.schema}".generated_content where task_id = any($1::uuid[])`,
      [[...done, stale.data.taskId]],
    );
    expect(clips).toHaveLength(16);
    expect(new Set(clips.map((c) => c.owner_id))).toEqual(new Set(['tenant-fast']));
    expect(clips.map((c) => c.id).sort()).toEqual((answers.flat().filter(Boolean) as string[]).sort());
    expect(
      await distinctTimes(
        `select count(distinct finished_at)::int as n from "${svc.schema}".tasks where id = any($1::uuid[])`,
        done,
      ),
    ).toBeLessThanOrEqual(2);
    const [staleRow] = await svc.sql<{ status: string; attempt: number }>(
      `select status, attempt from "${svc.schema}".tasks where id = $1`,
      [stale.data.taskId],
    );
    expect(staleRow).toEqual({ status: 'processing', attempt: 2 });
  });

  it('a batch of completions locks its rows in id order (as a cancel of many tasks does): it waits at the first, holding none after it', async () => {
    const [alone, low, high] = [job(), job(), job()].sort((a, b) => (a.data.taskId < b.data.taskId ? -1 : 1)) as [
      RenderJobRequested,
      RenderJobRequested,
      RenderJobRequested,
    ];
    // Created highest id first, so neither the table's order nor the batch's is the ids' order.
    for (const j of [high, low, alone]) await tasks.beginAttempt(j, 4);
    const completing = await orm.em.fork().transactional(async (tx) => {
      await tx.execute(`select 1 from "${svc.schema}".tasks where id = ? for update`, [low.data.taskId]);
      // The first completion runs alone; the two queued meanwhile (the higher id first) form the next batch.
      const first = tasks.complete(alone, 1, 0, []);
      const batch = Promise.all([tasks.complete(high, 1, 0, []), tasks.complete(low, 1, 0, [])]);
      await first;
      await eventually('the batch waiting for the held row', async () => {
        const [waiting] = await svc.sql<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and state = 'active' and query like $1`,
          [`%${svc.schema}%`],
        );
        return waiting!.n > 0 ? true : undefined;
      });
      // Waiting at the lower id, it has not locked the higher one.
      await svc.sql(`select 1 from "${svc.schema}".tasks where id = $1 for update nowait`, [high.data.taskId]);
      // Returned wrapped: the transaction must commit (releasing the row) before the batch can end.
      return { batch };
    });
    expect(await completing.batch).toEqual([[], []]);
  });

  it('a batch the statement cannot take (a clip row already there) is run item by item: the others complete alone, that one through the transaction', async () => {
    const jobs = Array.from({ length: 6 }, () => job());
    for (const j of jobs) await tasks.beginAttempt(j, 4);
    // As if an earlier completion's clip had been stored: the one statement stops on its unique key.
    const [kept] = await svc.sql<{ id: string }>(
      `insert into "${svc.schema}".generated_content (id, task_id, account_id, clip_index, media_key, duration_seconds, size_bytes, width, height, checksum_sha256)
       values ($1, $2, $3, 0, 'm/0.mp4', 12.5, 1000, 1080, 1920, 'x') returning id`,
      [uuidv7(), jobs[3]!.data.taskId, jobs[3]!.accountId],
    );
    const answers = await Promise.all(jobs.map((j) => tasks.complete(j, 1, 0, [clip(0)])));
    answers.forEach((ids) => expect(ids).toHaveLength(1));
    expect(answers[3]).toEqual([kept!.id]);
    const ids = jobs.map((j) => j.data.taskId);
    expect((await events(ids, 'completed')).map((e) => e.task_id).sort()).toEqual([...ids].sort());
    const statuses = await svc.sql<{ status: string }>(
      `select distinct status from "${svc.schema}".tasks where id = any($1::uuid[])`,
      [ids],
    );
    expect(statuses).toEqual([{ status: 'completed' }]);
  });
});
