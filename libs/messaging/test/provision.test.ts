import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAMS } from '@reelforge/contracts';
import { createMessaging, ensureStream, namespaceFrom, openNats, type Messaging } from '@reelforge/messaging';
import { uniqueToken } from '@reelforge/testing';

// Nothing grows forever: every stream the services declare is bounded by age, bytes and count on
// the real server, and a full work queue refuses new jobs rather than dropping queued ones.
describe('stream limits', () => {
  let nc: NatsConnection;
  let m: Messaging;
  beforeAll(async () => {
    nc = await openNats(inject('natsUrl'));
    m = await createMessaging(nc, 'test', namespaceFrom(uniqueToken().toUpperCase()));
  });
  afterAll(async () => {
    await nc?.close();
  });

  it('each declared stream is created with max_age, max_bytes and max_msgs; work queues discard new, fact streams old', async () => {
    for (const decl of Object.values(STREAMS)) {
      expect(decl.maxBytes, decl.name).toBeGreaterThan(0);
      expect(decl.maxMsgs, decl.name).toBeGreaterThan(0);
      await ensureStream(m, decl, { replicas: 1 });
      const { config } = await m.jsm.streams.info(m.stream(decl.name));
      expect(config.max_bytes).toBe(decl.maxBytes);
      expect(config.max_msgs).toBe(decl.maxMsgs);
      expect(config.max_age).toBeGreaterThan(0);
      expect(config.discard).toBe(decl.retention === 'workqueue' ? DiscardPolicy.New : DiscardPolicy.Old);
    }
  });

  it('a stream made before the limits existed gets them on the owner’s next start', async () => {
    const decl = { ...STREAMS.TASKS, name: 'OLD_TASKS', subjects: ['oldtasks.>'] };
    await ensureStream(m, { ...decl, maxBytes: undefined, maxMsgs: undefined }, { replicas: 1 });
    expect((await m.jsm.streams.info(m.stream('OLD_TASKS'))).config.max_bytes).toBe(-1);
    await ensureStream(m, decl, { replicas: 1 });
    expect((await m.jsm.streams.info(m.stream('OLD_TASKS'))).config.max_bytes).toBe(decl.maxBytes);
  });
});
