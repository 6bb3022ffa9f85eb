import { Type, type TSchema } from '@sinclair/typebox';
import { uuidv7 } from './ids.ts';

/**
 * Every event and job travels in this envelope. `id` is a UUIDv7 and doubles as the JetStream
 * `Nats-Msg-Id`, so a re-published event is de-duplicated by the server and by consumers' inboxes.
 */
const EnvelopeBase = {
  id: Type.String({ format: 'uuid' }),
  type: Type.String({ minLength: 1 }),
  occurredAt: Type.String({ format: 'date-time' }),
  source: Type.String({ minLength: 1 }),
  accountId: Type.String({ format: 'uuid' }),
};

/**
 * Strict as declared (publishEvent checks what it sends against it); consumers validate with
 * `lenientValidator`, which accepts and strips properties they do not know yet (additive evolution).
 */
export function envelopeOf<T extends string, D extends TSchema>(type: T, data: D) {
  return Type.Object({ ...EnvelopeBase, type: Type.Literal(type), data }, { additionalProperties: false });
}

export interface Envelope<T extends string = string, D = unknown> {
  id: string;
  type: T;
  occurredAt: string;
  source: string;
  accountId: string;
  data: D;
}

/** Builds an envelope with a fresh UUIDv7 id and the current time. */
export function makeEnvelope<T extends string, D>(type: T, source: string, accountId: string, data: D): Envelope<T, D> {
  return { id: uuidv7(), type, occurredAt: new Date().toISOString(), source, accountId, data };
}
