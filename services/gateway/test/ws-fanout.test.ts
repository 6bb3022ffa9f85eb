import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, subjects, uuidv7, type Envelope } from '@reelforge/contracts';
import { publishEvent, type Messaging } from '@reelforge/messaging';
import { startStack, type Stack } from './support/stack.ts';
import { newTenant, watchAccount } from './support/tenant.ts';
import type { WsMessage } from './support/ws-client.ts';

// The live-status fan-out on the real gateway and NATS, with real `ws` clients: events published
// in bursts (so several reach a socket in one event-loop turn and are written together) reach
// exactly the sockets subscribed to their account, in order; a client that stops reading gets,
// once it reads again, every status event in order and each task's latest progress, and no
// task's frames out of order.

type Published = { index: number; accountId: string; taskId: string; eventId: string; kind: 'progress' | 'status' };

/** Publishes in batches without waiting between the events of a batch (one connection: stream order = send order). */
async function publishAll(m: Messaging, events: { subject: string; event: Envelope }[]) {
  for (let i = 0; i < events.length; i += 100)
    await Promise.all(events.slice(i, i + 100).map((e) => publishEvent(m, e.subject, e.event)));
}

/** The publish index a frame carries: progress in its message (`"<index>:…"`), status in its attempt. */
function indexOf(f: WsMessage): number {
  if (f.type === 'job_progress') return Number(String(f.message).split(':')[0]);
  return (f.status as { attempt: number }).attempt;
}

const isFact = (f: WsMessage) => f.type === 'job_progress' || (f.type === 'job_status' && f.kind === 'task');

describe('ws fan-out', () => {
  let stack: Stack;
  let m: Messaging;

  beforeAll(async () => {
    // The hard drop far above what the slow client backs up, so it is coalesced, never dropped.
    stack = await startStack({ withRepurposer: false, env: { WS_MAX_BUFFERED_BYTES: String(64 * 1024 * 1024) } });
    m = stack.gateway.platform.messaging;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const progress = (accountId: string, taskId: string, index: number, padding = 0) => ({
    subject: subjects.taskProgress(accountId),
    event: makeEnvelope('task.progress.v1', 'repurposer', accountId, {
      taskId,
      generationId: null,
      stage: 'rendering' as const,
      percent: 50,
      message: `${index}:${'x'.repeat(padding)}`,
      etaSeconds: null,
    }),
  });
  const status = (accountId: string, taskId: string, index: number, value: 'processing' | 'completed') => ({
    subject: subjects.taskStatus(accountId),
    event: makeEnvelope('task.status.v1', 'repurposer', accountId, {
      taskId,
      generationId: null,
      status: value,
      attempt: index,
      error: null,
      output: null,
    }),
  });

  it('delivers each account’s events to its own sockets only, all of them, in order', async () => {
    const a = await newTenant(stack, 'fanout-a', []);
    const b = await newTenant(stack, 'fanout-b', []);
    const aSockets = await Promise.all([1, 2, 3].map(() => watchAccount(stack, a.bearer, a.account.id)));
    const bSockets = await Promise.all([1, 2].map(() => watchAccount(stack, b.bearer, b.account.id)));
    const tasks = { [a.account.id]: [uuidv7(), uuidv7()], [b.account.id]: [uuidv7(), uuidv7()] };
    const published: Published[] = [];
    const events: { subject: string; event: Envelope }[] = [];
    for (let i = 1; i <= 300; i++) {
      const accountId = i % 3 === 0 ? b.account.id : a.account.id;
      const taskId = tasks[accountId]![i % 2]!;
      const e = i % 5 === 0 ? status(accountId, taskId, i, 'processing') : progress(accountId, taskId, i);
      events.push(e);
      published.push({ index: i, accountId, taskId, eventId: e.event.id, kind: i % 5 === 0 ? 'status' : 'progress' });
    }
    await publishAll(m, events);

    for (const [sockets, accountId] of [
      [aSockets, a.account.id],
      [bSockets, b.account.id],
    ] as const) {
      const expected = published.filter((p) => p.accountId === accountId);
      const last = expected.at(-1)!;
      for (const ws of sockets) {
        await ws.waitFor('the account’s last event', (f) => f.event_id === last.eventId);
        const got = ws.messages.filter(isFact);
        // These sockets read as fast as they are written to: nothing is coalesced away.
        expect(got.map((f) => f.event_id)).toEqual(expected.map((p) => p.eventId));
        expect(got.every((f) => tasks[accountId]!.includes(f.job_id as string))).toBe(true);
        const seqs = ws.messages.map((f) => f.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      }
    }
    for (const ws of [...aSockets, ...bSockets]) ws.close();
  });

  it('gives a slow socket every status event in order and each task’s latest progress, never reordering a task', async () => {
    const a = await newTenant(stack, 'fanout-slow-a', []);
    const b = await newTenant(stack, 'fanout-slow-b', []);
    const slow = await watchAccount(stack, a.bearer, a.account.id);
    const fast = await watchAccount(stack, a.bearer, a.account.id);
    const other = await watchAccount(stack, b.bearer, b.account.id);
    slow.pause();
    const aTasks = [uuidv7(), uuidv7(), uuidv7()];
    const bTask = uuidv7();
    const events: { subject: string; event: Envelope }[] = [];
    const published: Published[] = [];
    const add = (e: { subject: string; event: Envelope }, p: Omit<Published, 'eventId'>) => {
      events.push(e);
      published.push({ ...p, eventId: e.event.id });
    };
    // About 10 MB of progress (far more than the kernel buffers of a socket nobody reads), a status
    // now and then, another tenant's events in between; then each task's last progress and its end.
    let index = 0;
    for (let round = 0; round < 800; round++) {
      for (const taskId of aTasks) {
        index++;
        if (round % 50 === 25)
          add(status(a.account.id, taskId, index, 'processing'), {
            index,
            accountId: a.account.id,
            taskId,
            kind: 'status',
          });
        else
          add(progress(a.account.id, taskId, index, 4000), {
            index,
            accountId: a.account.id,
            taskId,
            kind: 'progress',
          });
      }
      if (round % 20 === 0) {
        index++;
        add(status(b.account.id, bTask, index, 'processing'), {
          index,
          accountId: b.account.id,
          taskId: bTask,
          kind: 'status',
        });
      }
    }
    for (const taskId of aTasks) {
      index++;
      add(progress(a.account.id, taskId, index), { index, accountId: a.account.id, taskId, kind: 'progress' });
    }
    for (const taskId of aTasks) {
      index++;
      add(status(a.account.id, taskId, index, 'completed'), { index, accountId: a.account.id, taskId, kind: 'status' });
    }
    await publishAll(m, events);
    const lastA = published.filter((p) => p.accountId === a.account.id).at(-1)!;
    // Dispatch reaches every subscriber of an event in the same turn: once the fast socket has the
    // last event, the slow one has everything queued.
    await fast.waitFor('the last event (fast socket)', (f) => f.event_id === lastA.eventId);
    slow.resume();
    await slow.waitFor('the last event (slow socket)', (f) => f.event_id === lastA.eventId);

    const mine = published.filter((p) => p.accountId === a.account.id);
    const statuses = mine.filter((p) => p.kind === 'status').map((p) => p.eventId);
    for (const ws of [slow, fast]) {
      const got = ws.messages.filter(isFact);
      // Only this account's tasks; every status event, in publish order.
      expect(got.every((f) => aTasks.includes(f.job_id as string))).toBe(true);
      expect(got.filter((f) => f.type === 'job_status').map((f) => f.event_id)).toEqual(statuses);
      for (const taskId of aTasks) {
        const ofTask = got.filter((f) => f.job_id === taskId).map(indexOf);
        // Never reordered within a task, and the task's latest progress is there.
        expect(ofTask).toEqual([...ofTask].sort((x, y) => x - y));
        const lastProgress = mine.filter((p) => p.taskId === taskId && p.kind === 'progress').at(-1)!;
        expect(got.some((f) => f.event_id === lastProgress.eventId)).toBe(true);
      }
      // Numbered without gaps (a superseded progress takes no number), cursors never go back.
      const seqs = ws.messages.map((f) => f.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      const cursors = got.map((f) => Number(String(f.cursor).split('-')[0]));
      expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
    }
    // The slow socket was behind and got the latest progress instead of every one. (Never more than
    // the reading socket; that one may fall behind too when the machine is loaded, so not always fewer.)
    const progressCount = (ws: typeof slow) => ws.messages.filter((f) => f.type === 'job_progress').length;
    expect(progressCount(slow)).toBeLessThan(mine.filter((p) => p.kind === 'progress').length);
    expect(progressCount(slow)).toBeLessThanOrEqual(progressCount(fast));

    // The other tenant's socket got its own statuses and nothing of this account.
    const otherStatuses = published.filter((p) => p.accountId === b.account.id).map((p) => p.eventId);
    await other.waitFor('the other tenant’s last event', (f) => f.event_id === otherStatuses.at(-1));
    expect(other.messages.filter(isFact).map((f) => f.event_id)).toEqual(otherStatuses);
    for (const ws of [slow, fast, other]) ws.close();
  });
});
