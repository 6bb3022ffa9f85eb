import { formatCursor, type Cursor, type StatusEvent } from './status-event.ts';

/**
 * Orders what one client receives: each fact once (a fact at or before the client's cursor is
 * dropped), and, while a resume replays stored facts, live ones are held back so none overtakes
 * the replay. `emit` gets the fact and the cursor to report with it.
 */
export function createCursorGate(emit: (event: StatusEvent, cursor: string) => void) {
  const cursor: Cursor = { TASKS: 0, CONTENT: 0 };
  let holding = 0;
  const held: StatusEvent[] = [];
  const pass = (event: StatusEvent) => {
    const { stream, seq } = event.position;
    if (seq <= cursor[stream]) return;
    cursor[stream] = seq;
    emit(event, formatCursor(cursor));
  };
  return {
    /** A live fact from the fan-out. */
    deliver: (event: StatusEvent) => (holding > 0 ? held.push(event) : pass(event)),
    /** Starts a resume from `since`: live facts wait until `endResume`. */
    beginResume: (since: Cursor) => {
      holding++;
      cursor.TASKS = Math.max(cursor.TASKS, since.TASKS);
      cursor.CONTENT = Math.max(cursor.CONTENT, since.CONTENT);
    },
    /** Stored facts the client missed, oldest first. */
    replayed: (events: StatusEvent[]) => events.forEach(pass),
    endResume: () => {
      if (--holding === 0) held.splice(0).forEach(pass);
    },
  };
}
