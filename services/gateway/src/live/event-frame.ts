import type { StatusEvent } from './status-event.ts';

/**
 * The bytes of one live-status frame for an event: the event's JSON (serialised once, shared by
 * every socket) with this connection's `cursor` and `seq` appended. The same text as
 * `JSON.stringify({ ...event.message, cursor, seq })`, sent as a text frame. A Buffer, so the
 * prefix is encoded once rather than in every socket's write.
 */
export function eventFrame(event: StatusEvent, cursor: string, seq: number): Buffer {
  const prefixes = (event.framePrefixes ??= new Map<string, Buffer>());
  let prefix = prefixes.get(cursor);
  if (!prefix) {
    const json = (event.json ??= JSON.stringify(event.message));
    // A cursor is `<digits>-<digits>`: nothing in it needs escaping.
    prefix = Buffer.from(`${json.slice(0, -1)},"cursor":"${cursor}","seq":`);
    prefixes.set(cursor, prefix);
  }
  const tail = `${seq}}`;
  const frame = Buffer.allocUnsafe(prefix.length + tail.length);
  prefix.copy(frame, 0);
  frame.write(tail, prefix.length, 'latin1');
  return frame;
}
