import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  BACKLOG_ACCOUNT_ID,
  BACKLOG_OWNER_ID,
  BacklogItemTransferred,
  DomainError,
  STREAMS,
  TaskStatusChanged,
  makeEnvelope,
  repurposerCommands,
  subjects,
  transferContentCommand,
  uuidv7,
  lenient,
  validator,
  type ContentTransfer,
  type ContentView,
} from '@reelforge/contracts';
import { publishEvent, sendCommand } from '@reelforge/messaging';
import type { BootedService } from '@reelforge/service-kit';
import { deferred, eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import type { RepurposerConfig } from '../../src/config.ts';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

const TRANSFER_CONSUMER = 'repurposer-backlog-transfers';
const DAY_MS = 86_400_000;

interface TaskRow {
  account_id: string;
  owner_id: string;
  updated_at: Date;
}
interface ContentRow {
  id: string;
  account_id: string;
  owner_id: string;
  expires_at: Date | null;
}

// A claimed backlog item changing hands on a real repurposer, NATS and PostgreSQL, with clips
// rendered by ffmpeg the way the backlog makes them (render jobs of the backlog account and owner):
// by the keeper's command, and by the orchestrator's claimed fact when the command's answer was lost.
describe('backlog content transfer', () => {
  let svc: ServiceHarness;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let worker: BootedService<RepurposerConfig>;
  /** Terminal task.status events by task id: a render is awaited on its own completion fact. */
  const finished = new Map<string, ReturnType<typeof deferred<TaskStatusChanged>>>();
  const finishedOf = (taskId: string) => {
    let d = finished.get(taskId);
    if (!d) finished.set(taskId, (d = deferred<TaskStatusChanged>()));
    return d;
  };

  beforeAll(async () => {
    svc = await createServiceHarness({ TASK_WORKER_COUNT: '2' });
    const video = await makeTestVideo(inject('ffmpegPath'), join(svc.mediaRoot, 'talk.mp4'), {
      seconds: 2,
      width: 320,
      height: 180,
    });
    files = await serveFiles({ 'talk.mp4': video });
    const isStatus = validator(lenient(TaskStatusChanged));
    svc.m.nc.subscribe(svc.m.subject('task.status.>'), {
      callback: (_err, msg) => {
        const event: unknown = msg.json();
        if (isStatus.check(event) && ['completed', 'failed', 'cancelled'].includes(event.data.status))
          finishedOf(event.data.taskId).resolve(event);
      },
    });
    await svc.m.nc.flush();
    worker = await svc.boot();
  });
  afterAll(async () => {
    await files?.close();
    await svc?.close();
  });

  /** Renders a finished task (one clip per second of the source asked for) and returns its id. */
  const render = async (o: {
    accountId: string;
    ownerId: string;
    generationId: string;
    clips: 1 | 2;
  }): Promise<string> => {
    const job = makeEnvelope('render.job.requested.v1', 'test', o.accountId, {
      taskId: uuidv7(),
      generationId: o.generationId,
      sourceId: null,
      sourceUrl: files.url('talk.mp4'),
      contentType: 'shorts',
      options: {
        width: 128,
        preset: 'ultrafast',
        segments: Array.from({ length: o.clips }, (_, i) => ({ parts: [{ start: i, end: i + 1 }] })),
      },
      ownerId: o.ownerId,
    });
    const done = finishedOf(job.data.taskId).promise;
    await svc.publishJob(o.accountId, job);
    expect((await done).data.status).toBe('completed');
    return job.data.taskId;
  };
  const backlogItem = (clips: 1 | 2 = 1) => {
    const generationId = uuidv7();
    return render({ accountId: BACKLOG_ACCOUNT_ID, ownerId: BACKLOG_OWNER_ID, generationId, clips }).then((taskId) => ({
      generationId,
      taskId,
    }));
  };

  const transfer = (t: ContentTransfer) =>
    sendCommand(svc.m, transferContentCommand, t, { timeoutMs: 10_000, owner: 'repurposer', strict: true });
  const contentOf = async (ownerId: string): Promise<ContentView[]> =>
    (
      await sendCommand(
        svc.m,
        repurposerCommands.listContent,
        { principal: { id: ownerId, roles: [] }, limit: 100 },
        { timeoutMs: 10_000, owner: 'repurposer', strict: true },
      )
    ).items;
  const taskRow = async (taskId: string) =>
    (
      await svc.sql<TaskRow>(`select account_id, owner_id, updated_at from "${svc.schema}".tasks where id = $1`, [
        taskId,
      ])
    )[0];
  const contentRows = (taskId: string) =>
    svc.sql<ContentRow>(
      `select id, account_id, owner_id, expires_at from "${svc.schema}".generated_content where task_id = $1 order by clip_index`,
      [taskId],
    );
  const byClip = (items: ContentView[]) =>
    [...items].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.clipIndex - b.clipIndex);

  it('the command hands a backlog task and its clips to the claimer, with the claimer’s retention; a replay returns the same and changes nothing', async () => {
    const item = await backlogItem(2);
    const accountId = uuidv7();
    const ownerId = `claimer-${uuidv7()}`;
    // Before the claim: the backlog's, invisible to the claimer.
    expect(await contentOf(ownerId)).toEqual([]);
    const held = (await contentOf(BACKLOG_OWNER_ID)).filter((c) => c.taskId === item.taskId);
    expect(held).toHaveLength(2);

    const before = Date.now();
    const { items } = await transfer({
      generationId: item.generationId,
      taskIds: [item.taskId],
      accountId,
      ownerId,
      mediaRetentionDays: 7,
    });
    const after = Date.now();
    expect(items.map((c) => [c.taskId, c.clipIndex, c.accountId])).toEqual([
      [item.taskId, 0, accountId],
      [item.taskId, 1, accountId],
    ]);
    // The same clips (ids, media), now listed for the claimer and no longer for the backlog.
    expect(items.map((c) => c.id).sort()).toEqual(held.map((c) => c.id).sort());
    expect(byClip(await contentOf(ownerId))).toEqual(items);
    expect((await contentOf(BACKLOG_OWNER_ID)).filter((c) => c.taskId === item.taskId)).toEqual([]);
    const view = await sendCommand(
      svc.m,
      repurposerCommands.getTask,
      { principal: { id: ownerId, roles: [] }, taskId: item.taskId },
      { timeoutMs: 10_000, owner: 'repurposer' },
    );
    expect(view).toMatchObject({ id: item.taskId, accountId, generationId: item.generationId, status: 'completed' });
    await expect(
      sendCommand(
        svc.m,
        repurposerCommands.getTask,
        { principal: { id: BACKLOG_OWNER_ID, roles: [] }, taskId: item.taskId },
        { timeoutMs: 10_000, owner: 'repurposer' },
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Kept as if made at the claim: 7 days from the hand-over.
    const rows = await contentRows(item.taskId);
    for (const r of rows) {
      expect(r).toMatchObject({ account_id: accountId, owner_id: ownerId });
      expect(r.expires_at!.getTime()).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 1000);
      expect(r.expires_at!.getTime()).toBeLessThanOrEqual(after + 7 * DAY_MS + 1000);
    }

    // A replay (the keeper retrying, or the fact arriving too): same answer, not one row touched.
    const task = await taskRow(item.taskId);
    const again = await transfer({
      generationId: item.generationId,
      taskIds: [item.taskId],
      accountId,
      ownerId,
      mediaRetentionDays: 30,
    });
    expect(again.items).toEqual(items);
    expect(await taskRow(item.taskId)).toEqual(task);
    expect(await contentRows(item.taskId)).toEqual(rows);
  });

  it('never moves a task of another tenant or of another generation, and returns none of their content', async () => {
    const generationId = uuidv7();
    const otherAccount = uuidv7();
    const [own, foreign, elsewhere] = await Promise.all([
      render({ accountId: BACKLOG_ACCOUNT_ID, ownerId: BACKLOG_OWNER_ID, generationId, clips: 1 }),
      // Even a foreign task recorded under the same generation id is not the backlog's to give.
      render({ accountId: otherAccount, ownerId: 'tenant-other', generationId, clips: 1 }),
      backlogItem(1),
    ]);
    const foreignBefore = { task: await taskRow(foreign), content: await contentRows(foreign) };
    const elsewhereBefore = { task: await taskRow(elsewhere.taskId), content: await contentRows(elsewhere.taskId) };
    const accountId = uuidv7();
    const ownerId = `claimer-${uuidv7()}`;

    const { items } = await transfer({
      generationId,
      taskIds: [own, foreign, elsewhere.taskId],
      accountId,
      ownerId,
      mediaRetentionDays: null,
    });
    expect(items.map((c) => c.taskId)).toEqual([own]);
    expect((await contentOf(ownerId)).map((c) => c.taskId)).toEqual([own]);
    // The others are exactly as they were, still listed for their owners.
    expect({ task: await taskRow(foreign), content: await contentRows(foreign) }).toEqual(foreignBefore);
    expect({ task: await taskRow(elsewhere.taskId), content: await contentRows(elsewhere.taskId) }).toEqual(
      elsewhereBefore,
    );
    expect((await contentOf('tenant-other')).map((c) => c.taskId)).toEqual([foreign]);
    expect((await contentOf(BACKLOG_OWNER_ID)).some((c) => c.taskId === elsewhere.taskId)).toBe(true);
    expect(
      svc.logs
        .lines()
        .some(
          (l) =>
            l.msg === 'content transfer: some tasks are neither the backlog’s nor this claimer’s; left alone' &&
            l.generationId === generationId,
        ),
    ).toBe(true);

    // Naming only the foreign task, for yet another claimer: nothing moves, nothing comes back.
    const thief = await transfer({
      generationId,
      taskIds: [foreign],
      accountId: uuidv7(),
      ownerId: `claimer-${uuidv7()}`,
      mediaRetentionDays: 0,
    });
    expect(thief.items).toEqual([]);
    expect({ task: await taskRow(foreign), content: await contentRows(foreign) }).toEqual(foreignBefore);
  });

  it('the claimed fact hands the item over when the repurposer was down at the claim (the command had no answer)', async () => {
    const item = await backlogItem(1);
    const accountId = uuidv7();
    const ownerId = `claimer-${uuidv7()}`;
    const claim: ContentTransfer = {
      generationId: item.generationId,
      taskIds: [item.taskId],
      accountId,
      ownerId,
      mediaRetentionDays: 0,
    };
    const fact = () =>
      makeEnvelope('content.backlog.claimed.v1', 'content-orchestrator', accountId, {
        ...claim,
        claimId: uuidv7(),
        recipeId: uuidv7(),
        form: { mood: 'calm' },
        creditsCharged: 5,
        claimedAt: new Date().toISOString(),
      });

    // Every repurposer stops (the durable consumer and the CONTENT stream stay): the keeper's command gets no answer.
    await worker.stop();
    await expect(transfer(claim)).rejects.toSatisfy(
      (e: unknown) => e instanceof DomainError && e.code === 'SERVICE_UNAVAILABLE',
    );
    const published = await publishEvent(svc.m, subjects.backlogTransferred(accountId), fact(), BacklogItemTransferred);
    expect((await taskRow(item.taskId))?.owner_id).toBe(BACKLOG_OWNER_ID);

    worker = await svc.boot();
    // The hand-over emits no fact of its own: what shows it is the rows moved and the fact acknowledged.
    const durable = `${svc.m.ns.streamPrefix}${TRANSFER_CONSUMER}`;
    await eventually(
      'the claimed fact applied and acknowledged',
      async () => {
        const info = await svc.m.jsm.consumers.info(svc.m.stream(STREAMS.CONTENT.name), durable);
        const task = await taskRow(item.taskId);
        return task?.owner_id === ownerId && info.ack_floor.stream_seq >= published.seq ? task : undefined;
      },
      30_000,
    );
    expect(await taskRow(item.taskId)).toMatchObject({ account_id: accountId, owner_id: ownerId });
    // Retention 0: the claimer keeps their clips.
    expect(await contentRows(item.taskId)).toEqual([
      expect.objectContaining({ account_id: accountId, owner_id: ownerId, expires_at: null }),
    ]);
    const listed = await contentOf(ownerId);
    expect(listed.map((c) => c.taskId)).toEqual([item.taskId]);
    expect((await contentOf(BACKLOG_OWNER_ID)).some((c) => c.taskId === item.taskId)).toBe(false);

    // The keeper's command, retried now, answers with the same clips and moves nothing more.
    const rows = await contentRows(item.taskId);
    expect((await transfer(claim)).items).toEqual(listed);
    expect(await contentRows(item.taskId)).toEqual(rows);
  });

  it('the command and the fact racing for one claim move it once, and every answer has its clips', async () => {
    const item = await backlogItem(2);
    const accountId = uuidv7();
    const ownerId = `claimer-${uuidv7()}`;
    const claim: ContentTransfer = {
      generationId: item.generationId,
      taskIds: [item.taskId],
      accountId,
      ownerId,
      mediaRetentionDays: 3,
    };
    const facts = Array.from({ length: 3 }, () =>
      makeEnvelope('content.backlog.claimed.v1', 'content-orchestrator', accountId, {
        ...claim,
        claimId: uuidv7(),
        recipeId: uuidv7(),
        form: {},
        creditsCharged: 1,
        claimedAt: new Date().toISOString(),
      }),
    );
    const [answers, acks] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => transfer(claim))),
      Promise.all(
        facts.map((f) => publishEvent(svc.m, subjects.backlogTransferred(accountId), f, BacklogItemTransferred)),
      ),
    ]);
    const ids = (await contentRows(item.taskId)).map((r) => r.id);
    for (const a of answers) expect(a.items.map((c) => c.id)).toEqual(ids);
    const durable = `${svc.m.ns.streamPrefix}${TRANSFER_CONSUMER}`;
    const last = Math.max(...acks.map((a) => a.seq));
    await eventually(
      'the facts acknowledged',
      async () => {
        const info = await svc.m.jsm.consumers.info(svc.m.stream(STREAMS.CONTENT.name), durable);
        return info.ack_floor.stream_seq >= last ? info : undefined;
      },
      30_000,
    );
    // One hand-over: the expiry set by the first is kept by every later one.
    const rows = await contentRows(item.taskId);
    expect(new Set(rows.map((r) => `${r.account_id}/${r.owner_id}/${r.expires_at?.toISOString()}`)).size).toBe(1);
    expect(rows[0]).toMatchObject({ account_id: accountId, owner_id: ownerId });
    expect(
      svc.logs.lines().filter((l) => l.msg === 'backlog content handed over' && l.generationId === item.generationId),
    ).toHaveLength(1);
  });
});
