import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { Type } from '@sinclair/typebox';
import { envelopeOf, makeEnvelope, uuidv7, type StreamDeclaration } from '@reelforge/contracts';
import {
  createMessaging,
  ensureStream,
  namespaceFrom,
  openNats,
  sendEvent,
  type Messaging,
} from '@reelforge/messaging';
import { eventually, uniqueToken } from '@reelforge/testing';

const Tick = envelopeOf('test.tick.v1', Type.Object({ n: Type.Integer() }, { additionalProperties: false }));
const TICKS: StreamDeclaration = {
  name: 'TICKS',
  owner: 'shared',
  subjects: ['tick.>'],
  retention: 'limits',
  maxAgeMs: 60_000,
  description: 'test',
};

// sendEvent against a real JetStream server: no PubAck is awaited, yet the stream stores the
// event, once per event id, with the headers a consumer needs.
describe('sendEvent', () => {
  let nc: NatsConnection;
  let m: Messaging;
  beforeAll(async () => {
    nc = await openNats(inject('natsUrl'));
    m = await createMessaging(nc, 'test', namespaceFrom(uniqueToken()));
    await ensureStream(m, TICKS, { replicas: 1 });
  });
  afterAll(async () => {
    await m?.jsm.streams.delete(m.stream(TICKS.name)).catch(() => undefined);
    await nc?.close();
  });

  it('is stored by the stream, de-duplicated by event id, with its id header; an invalid event is refused before it is sent', async () => {
    const account = uuidv7();
    const first = makeEnvelope('test.tick.v1', 'test', account, { n: 1 });
    const second = makeEnvelope('test.tick.v1', 'test', account, { n: 2 });
    sendEvent(m, 'tick.a', first, Tick);
    sendEvent(m, 'tick.a', first, Tick); // the same event again: stored once
    expect(() => sendEvent(m, 'tick.a', { ...second, data: { n: 'two' } } as never, Tick)).toThrow(
      /refusing to publish invalid test.tick.v1/,
    );
    sendEvent(m, 'tick.a', second, Tick);
    const stream = m.stream(TICKS.name);
    // Stored asynchronously and announced to no one: the stream's count is polled. One connection's
    // messages are handled in order, so once `second` is stored the duplicate sent before it was seen.
    await eventually(
      'both events stored',
      async () => ((await m.jsm.streams.info(stream)).state.messages === 2 ? true : undefined),
      5_000,
    );
    const stored = await Promise.all([1, 2].map((seq) => m.jsm.streams.getMessage(stream, { seq })));
    expect(stored.map((s) => s?.json())).toEqual([first, second]);
    expect(stored.map((s) => s?.header.get('Nats-Msg-Id'))).toEqual([first.id, second.id]);
  });
});
