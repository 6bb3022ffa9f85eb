import { describe, expect, it } from 'vitest';
import { parseDeliveryInfo } from '../src/delivery.ts';

describe('parseDeliveryInfo', () => {
  it('reads the 9-token ack subject of a server without domains', () => {
    expect(parseDeliveryInfo('$JS.ACK.T1_WORK.T1_worker.3.42.40.1795935840580501890.7')).toEqual({
      stream: 'T1_WORK',
      consumer: 'T1_worker',
      deliveryCount: 3,
      streamSequence: 42,
    });
  });

  it('reads the newer form with a domain and an account hash before the stream', () => {
    expect(parseDeliveryInfo('$JS.ACK.hub.ACCHASH.WORK.worker.1.9.9.1795935840580501890.0.r4nd0m')).toEqual({
      stream: 'WORK',
      consumer: 'worker',
      deliveryCount: 1,
      streamSequence: 9,
    });
  });

  it('refuses subjects that are not JetStream acks', () => {
    expect(parseDeliveryInfo('_INBOX.abc.def')).toBeUndefined();
    expect(parseDeliveryInfo('$JS.ACK.WORK.worker.1.2')).toBeUndefined();
    expect(parseDeliveryInfo('$JS.ACK.WORK.worker.x.2.2.1.0')).toBeUndefined();
  });
});
