import type { StatusEvent } from './status-event.ts';

/**
 * A live-status frame already in WebSocket framing: header and payload in one buffer, so a socket
 * writes it with one `write` (ws's own send allocates a header and writes two buffers per socket).
 * `payload` is the JSON text alone, for a socket that must go through ws.
 */
export interface WsTextFrame {
  readonly bytes: Buffer;
  readonly payload: Buffer;
}

/** The header of an unmasked, final text frame (server → client frames are never masked). */
function headerLength(payloadLength: number): number {
  return payloadLength <= 125 ? 2 : payloadLength <= 0xffff ? 4 : 10;
}

function writeHeader(target: Buffer, payloadLength: number): void {
  target[0] = 0x81; // FIN + text
  if (payloadLength <= 125) target[1] = payloadLength;
  else if (payloadLength <= 0xffff) {
    target[1] = 126;
    target.writeUInt16BE(payloadLength, 2);
  } else {
    target[1] = 127;
    target.writeUInt32BE(0, 2);
    target.writeUInt32BE(payloadLength, 6);
  }
}

/**
 * One live-status frame for an event: the event's JSON (serialised once, shared by every socket)
 * with this connection's `cursor` and `seq` appended, the same text as
 * `JSON.stringify({ ...event.message, cursor, seq })`. The prefix is encoded once per cursor (most
 * sockets share one); each socket copies it once, behind its header.
 */
export function eventFrame(event: StatusEvent, cursor: string, seq: number): WsTextFrame {
  const prefixes = (event.framePrefixes ??= new Map<string, Buffer>());
  let prefix = prefixes.get(cursor);
  if (!prefix) {
    const json = (event.json ??= JSON.stringify(event.message));
    // A cursor is `<digits>-<digits>`: nothing in it needs escaping.
    prefix = Buffer.from(`${json.slice(0, -1)},"cursor":"${cursor}","seq":`);
    prefixes.set(cursor, prefix);
  }
  const tail = `${seq}}`;
  const length = prefix.length + tail.length;
  const offset = headerLength(length);
  const bytes = Buffer.allocUnsafe(offset + length);
  writeHeader(bytes, length);
  prefix.copy(bytes, offset);
  bytes.write(tail, offset + prefix.length, 'latin1');
  return { bytes, payload: bytes.subarray(offset) };
}
