import type { WriteScheduler } from './write-scheduler.ts';

/** The part of a `ws` WebSocket the outbox writes to. */
export interface OutboxSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string | Buffer, options: { binary: boolean }, cb?: (err?: Error) => void): void;
}

/** The TCP socket under the WebSocket: corked, a turn's frames leave in one write. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

const TEXT = { binary: false };

interface Entry {
  /** The frame's text for its `seq` (numbered when written, so a superseded frame leaves no gap). */
  frame(seq: number): string | Buffer;
  bytes: number;
  /** Superseded by a later progress of its task while the socket was behind: not written. */
  dropped: boolean;
}

export interface SocketOutboxOptions {
  socket: OutboxSocket;
  scheduler: WriteScheduler;
  corkable?: Corkable;
  /** Queued plus unsent bytes above this: the client does not read; `onTooSlow` (it is closed). */
  maxBufferedBytes: number;
  /** Unsent bytes above this: the socket is behind; writes wait and progress is coalesced. */
  behindBytes?: number;
  onTooSlow(buffered: number): void;
}

/**
 * One socket's outgoing frames. Several frames in one event-loop turn leave together at its end:
 * the TCP socket is corked at the second and uncorked by the turn's flush. While the socket is behind (the client reads slower than we send), writes wait
 * for the socket to drain and a task's queued progress is replaced by its latest (appended at
 * the end, so no frame of a task overtakes another); status and every other frame are kept. Past
 * the hard limit the client is dropped, as before.
 */
export function createSocketOutbox(o: SocketOutboxOptions) {
  const behindBytes = o.behindBytes ?? Math.min(64 * 1024, o.maxBufferedBytes / 4);
  let queue: Entry[] = [];
  const latestProgress = new Map<string, Entry>();
  let queuedBytes = 0;
  let behind = false;
  let seq = 0;
  let closed = false;

  let corked = false;
  let lastTurn = -1;

  const outbox = {
    /** Sends a frame by the end of the turn; `progressOf` names the task whose progress it is. */
    push(frame: (seq: number) => string | Buffer, bytes: number, progressOf?: string) {
      if (closed || o.socket.readyState !== o.socket.OPEN) return;
      // The usual case, a socket keeping up: written at once, no queue entry. Its second frame in a
      // turn corks the TCP socket, uncorked at the end of the turn, so a burst leaves in one write;
      // one frame a turn is not corked (measured: corking every write cost CPU at low rates).
      if (queue.length === 0 && !behind && o.socket.bufferedAmount <= behindBytes) {
        const turn = o.scheduler.turn();
        if (turn === lastTurn && o.corkable && !corked) {
          o.corkable.cork();
          corked = true;
          o.scheduler.schedule(outbox);
        }
        lastTurn = turn;
        o.socket.send(frame(++seq), TEXT, drained);
        return;
      }
      const entry: Entry = { frame, bytes, dropped: false };
      if (progressOf) {
        const previous = latestProgress.get(progressOf);
        if (behind && previous && !previous.dropped) {
          previous.dropped = true;
          queuedBytes -= previous.bytes;
        }
        latestProgress.set(progressOf, entry);
      }
      queue.push(entry);
      queuedBytes += bytes;
      const buffered = queuedBytes + o.socket.bufferedAmount;
      if (buffered > o.maxBufferedBytes) {
        closed = true;
        queue = [];
        latestProgress.clear();
        o.onTooSlow(buffered);
        return;
      }
      o.scheduler.schedule(outbox);
    },
    /** Uncorks, then writes what is queued unless the socket is behind (then the drain of its last write retries). */
    flush(force = false) {
      if (corked) {
        corked = false;
        o.corkable?.uncork();
      }
      if (queue.length === 0 || o.socket.readyState !== o.socket.OPEN) return;
      if (!force && o.socket.bufferedAmount > behindBytes) {
        behind = true;
        return;
      }
      behind = false;
      const due = queue;
      queue = [];
      latestProgress.clear();
      queuedBytes = 0;
      o.corkable?.cork();
      try {
        // Text frames, also when the frame is a Buffer (the protocol is JSON text).
        for (const e of due) if (!e.dropped) o.socket.send(e.frame(++seq), TEXT, drained);
      } finally {
        o.corkable?.uncork();
      }
    },
    /** Frames written so far. */
    get sent() {
      return seq;
    },
  };
  // A write reached the kernel: what queued meanwhile can go.
  const drained = (err?: Error) => {
    if (!err && queue.length) o.scheduler.schedule(outbox);
  };
  return outbox;
}

export type SocketOutbox = ReturnType<typeof createSocketOutbox>;
