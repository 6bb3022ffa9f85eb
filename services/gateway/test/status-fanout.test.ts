import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { STREAMS, TaskProgress, makeEnvelope, subjects, uuidv7 } from '@reelforge/contracts';
import { createMessaging, namespaceFrom, openNats, publishEvent, type Messaging } from '@reelforge/messaging';
import { deferred, memoryLogger, uniqueToken } from '@reelforge/testing';
import { startStatusFanout, type TasksFollower } from '../src/live/status-fanout.ts';
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
});
