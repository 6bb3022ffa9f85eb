import type { StatusEvent } from './status-event.ts';

/**
 * The text of one live-status frame for an event: the event's JSON (serialised once, shared by
 * every socket) with this connection's `cursor` and `seq` appended. Byte for byte what
 * `JSON.stringify({ ...event.message, cursor, seq })` gives, without re-serialising per socket.
 */
export function eventFrame(event: StatusEvent, cursor: string, seq: number): string {
  const json = event.json ?? (event.json = JSON.stringify(event.message));
  // A cursor is `<digits>-<digits>`: nothing in it needs escaping.
  return `${json.slice(0, -1)},"cursor":"${cursor}","seq":${seq}}`;
}
