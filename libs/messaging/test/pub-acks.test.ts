import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy } from '@nats-io/jetstream';
import { createMessaging, namespaceFrom, openNats, pubAckPublisher, type Messaging } from '@reelforge/messaging';
import { uniqueToken } from '@reelforge/testing';

// PubAck'd publishes through one reply subscription, against a real JetStream server: what the
// server stored, de-duplicated, refused or never answered is what each publish resolves to.
describe('pubAckPublisher', () => {
  let nc: NatsConnection;
  let m: Messaging;
  let subject: (s: string) => string;
  beforeAll(async () => {
    nc = await openNats(inject('natsUrl'));
    m = await createMessaging(nc, 'test', namespaceFrom(uniqueToken()));
    subject = (s) => m.subject(s);
    await m.jsm.streams.add({ name: m.stream('ACKS'), subjects: [subject('acks.>')] });
    // One message at most, and a new one refused: the server's own reason for a refusal.
    await m.jsm.streams.add({
      name: m.stream('FULL'),
      subjects: [subject('full.>')],
      max_msgs: 1,
      discard: DiscardPolicy.New,
    });
  });
  afterAll(async () => {
    for (const name of ['ACKS', 'FULL']) await m?.jsm.streams.delete(m.stream(name)).catch(() => undefined);
    await nc?.close();
  });

  it('resolves with where the server stored each message, and a repeated id as a duplicate stored once', async () => {
    const acks = pubAckPublisher(nc);
    const sent = await Promise.all(
      ['a', 'b', 'a'].map((id) => acks.publish(subject('acks.x'), `{"id":"${id}"}`, { msgID: id, headers: headers() })),
    );
    expect(sent.map((a) => a.stream)).toEqual([m.stream('ACKS'), m.stream('ACKS'), m.stream('ACKS')]);
    expect(sent.map((a) => a.duplicate)).toEqual([false, false, true]);
    expect(sent[0]!.seq).toBe(1);
    expect(sent[1]!.seq).toBe(2);
    const info = await m.jsm.streams.info(m.stream('ACKS'));
    expect(info.state.messages).toBe(2);
    const stored = await m.jsm.streams.getMessage(m.stream('ACKS'), { seq: 1 });
    expect(stored?.header.get('Nats-Msg-Id')).toBe('a');
  });

  it('rejects with the reason when no stream takes the subject, or the stream refuses the message', async () => {
    const acks = pubAckPublisher(nc);
    await expect(acks.publish(subject('nowhere.x'), '{}', { msgID: 'n1', headers: headers() })).rejects.toThrow(
      /no stream takes .*nowhere\.x/,
    );
    await acks.publish(subject('full.x'), '{}', { msgID: 'f1', headers: headers() });
    await expect(acks.publish(subject('full.x'), '{}', { msgID: 'f2', headers: headers() })).rejects.toThrow(
      /JetStream refused the publish to .*full\.x: maximum messages exceeded/,
    );
  });

  it('rejects a publish nobody acknowledges once its timeout passes, and every pending one when the connection closes', async () => {
    // A plain subscriber on the subject: the server has a responder, so no 503, and no PubAck ever.
    const own = await openNats(inject('natsUrl'));
    own.subscribe(subject('silent.>'), { callback: () => undefined });
    await own.flush();
    const quick = pubAckPublisher(own, { timeoutMs: 200 });
    const started = performance.now();
    await expect(quick.publish(subject('silent.x'), '{}', { msgID: 's1', headers: headers() })).rejects.toThrow(
      /no PubAck for .*silent\.x within 200 ms/,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);

    const slow = pubAckPublisher(own, { timeoutMs: 60_000 });
    const pending = slow.publish(subject('silent.y'), '{}', { msgID: 's2', headers: headers() });
    await own.close();
    await expect(pending).rejects.toThrow(/connection closed before the PubAck/);
  });
});
