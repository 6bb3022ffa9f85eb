import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { STREAMS, TaskProgress, makeEnvelope, subjects, uuidv7 } from '@reelforge/contracts';
import { createMessaging, namespaceFrom, openNats, publishEvent, type Messaging } from '@reelforge/messaging';
import { deferred, memoryLogger, uniqueToken } from '@reelforge/testing';
import { startStatusFanout, wanted, type TasksFollower } from '../src/live/status-fanout.ts';
import type { StatusEvent } from '../src/live/status-event.ts';
import type { StatusFact } from '../src/live/status-fact.ts';
import { createSubscriptionRegistry } from '../src/live/subscription-registry.ts';

// The fan-out's TASKS consumer against a real JetStream server: what it tells the task read model.

let nc: Awaited<ReturnType<typeof openNats>>;
let m: Messaging;
beforeAll(async () => {
  nc = await openNats(inject('natsUrl'));
  m = await createMessaging(nc, 'gateway', namespaceFrom(uniqueToken()));
});
afterAll(async () => {
  for (const s of [STREAMS.TASKS.name, STREAMS.CONTENT.name]) await m.jsm.streams.delete(m.stream(s)).catch(() => {});
  await nc?.close();
});

describe('status fan-out → task read model', () => {
  it('says caught up right after the last fact of a burst, without waiting for a heartbeat', async () => {
    const calls: string[] = [];
    const FACTS = 600;
    let applied = 0;
    const all = deferred();
    const follower: TasksFollower = {
      apply: () => {
        calls.push('apply');
        if (++applied === FACTS) all.resolve();
      },
      watches: () => true,
      caughtUp: () => calls.push('caughtUp'),
      behind: () => calls.push('behind'),
      lapse: () => calls.push('lapse'),
    };
    const fanout = await startStatusFanout(m, createSubscriptionRegistry(), memoryLogger('test').log, 1, follower);
    try {
      const account = uuidv7();
      const taskId = uuidv7();
      // A burst: the consumer pulls again several times while it is delivered (its queued pull
      // requests run between messages).
      await Promise.all(
        Array.from({ length: FACTS }, (_, i) =>
          publishEvent(
            m,
            subjects.taskProgress(account),
            makeEnvelope('task.progress.v1', 'repurposer', account, {
              taskId,
              generationId: null,
              stage: 'rendering',
              percent: (i * 100) / FACTS,
              message: `step ${i}`,
              etaSeconds: null,
              attempt: 1,
            }),
            TaskProgress,
          ),
        ),
      );
      await all.promise;
      // Every fact was published before the last was delivered: the last one leaves nothing behind.
      expect(calls.lastIndexOf('apply')).toBe(calls.length - 2);
      expect(calls.at(-1)).toBe('caughtUp');
      expect(calls).not.toContain('lapse');
    } finally {
      await fanout.stop();
    }
  });

  it('parses a fact only when someone here wants it: a watched task, or a subscriber of its account, generation or task', async () => {
    const account = uuidv7();
    const watched = uuidv7();
    const other = uuidv7();
    const seen: { taskId: string; fact: StatusFact | undefined }[] = [];
    let expected = 0;
    let next = deferred();
    // Facts in stream order: which task each message was about comes from the publish order.
    const order: string[] = [];
    const follower: TasksFollower = {
      apply: (fact) => {
        seen.push({ taskId: order[seen.length]!, fact });
        if (seen.length === expected) next.resolve();
      },
      watches: (taskId) => taskId === watched,
      caughtUp: () => undefined,
      behind: () => undefined,
      lapse: () => undefined,
    };
    const registry = createSubscriptionRegistry();
    const fanout = await startStatusFanout(m, registry, memoryLogger('test').log, 1, follower);
    const progress = async (taskId: string) => {
      order.push(taskId);
      await publishEvent(
        m,
        subjects.taskProgress(account),
        makeEnvelope('task.progress.v1', 'repurposer', account, {
          taskId,
          generationId: null,
          stage: 'rendering',
          percent: 50,
          message: 'rendering',
          etaSeconds: null,
          attempt: 1,
        }),
        TaskProgress,
      );
    };
    try {
      expected = 2;
      await progress(watched);
      await progress(other);
      await next.promise;
      expect(seen.map((x) => [x.taskId, x.fact?.kind])).toEqual([
        [watched, 'progress'],
        [other, undefined],
      ]);

      // A socket on the account: the other task's facts are parsed and reach it.
      const delivered: StatusEvent[] = [];
      registry.add(account, { deliver: (e) => delivered.push(e) });
      next = deferred();
      expected = 3;
      await progress(other);
      await next.promise;
      expect(seen[2]!.fact?.kind).toBe('progress');
      expect(delivered.map((e) => e.taskId)).toEqual([other]);
    } finally {
      await fanout.stop();
    }
  });

  it('wanted: reads the ids of any fact, and refuses what is not an object', () => {
    const registry = createSubscriptionRegistry();
    const generation = uuidv7();
    const fact = { accountId: uuidv7(), data: { id: generation, status: 'processing' } };
    expect(wanted(fact, registry)).toBe(false);
    registry.add(generation, { deliver: () => undefined });
    expect(wanted(fact, registry)).toBe(true);
    expect(wanted('text', registry)).toBe(false);
    expect(wanted(null, registry)).toBe(false);
    expect(wanted({ data: 'x' }, registry, { watches: () => true })).toBe(false);
  });
});
