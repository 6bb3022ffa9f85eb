import { randomFillSync } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond timestamp + random bits. Time-ordered, so ids sort by
 * creation and index well; also used as the JetStream `Nats-Msg-Id` for de-duplication.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  // The 48-bit timestamp, big-endian (a double holds it exactly; `>>>` reads its low 32 bits).
  const high = Math.floor(now / 2 ** 32);
  const low = now >>> 0;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes.writeUInt32BE(low, 2);
  takeRandom(bytes, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Random bytes are drawn from the CSPRNG 4 KiB at a time: one call per ~400 ids instead of one
// per id (every event envelope gets one; the call was ~2 % of a busy worker's CPU).
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;

/** Fills `into` from `offset` to its end with unused random bytes from the pool. */
function takeRandom(into: Buffer, offset: number): void {
  const n = into.length - offset;
  if (poolAt + n > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  pool.copy(into, offset, poolAt, poolAt + n);
  poolAt += n;
}

/** Matches any RFC 4122/9562 UUID; used to reject junk ids before they reach a database. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
