/** Something with writes queued for the end of the tick. */
export interface Flushable {
  flush(): void;
}

/**
 * Flushes every socket that queued writes once per event-loop turn (setImmediate: after the I/O
 * callbacks that delivered this turn's events), so a socket gets one corked write for all the
 * events of the turn, and there is one timer for all sockets instead of one per socket.
 */
export function createWriteScheduler(defer: (run: () => void) => void = setImmediate) {
  let dirty = new Set<Flushable>();
  let armed = false;
  let turn = 0;
  const arm = () => {
    if (!armed) {
      armed = true;
      defer(run);
    }
  };
  const run = () => {
    armed = false;
    turn++;
    // Swapped, not copied: what a flush schedules goes to the next turn.
    const due = dirty;
    dirty = new Set();
    for (const f of due) f.flush();
  };
  return {
    schedule: (f: Flushable) => {
      dirty.add(f);
      arm();
    },
    /** This turn's number: a socket written to twice in one turn corks (its later frames leave together). */
    turn: () => {
      arm();
      return turn;
    },
  };
}

export type WriteScheduler = ReturnType<typeof createWriteScheduler>;
