import type { WsTextFrame } from './event-frame.ts';
import type { WriteScheduler } from './write-scheduler.ts';

/** The part of a `ws` WebSocket the outbox writes to. */
export interface OutboxSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string | Buffer, options: { binary: boolean }, cb?: (err?: Error | null) => void): void;
}

/**
 * The TCP socket under the WebSocket: corked, a turn's frames leave in one write; a pre-framed
 * event goes to it directly. That interleaves safely with ws's own writes only because ws writes
 * each frame synchronously: no permessage-deflate (off, create-gateway.ts) and no Blob sends.
 */
export interface TcpSocket {
  cork(): void;
  uncork(): void;
  write(data: Buffer, cb: (err?: Error | null) => void): boolean;
}

/** A frame's text, or a frame already in WebSocket framing. */
export type OutboxFrame = string | WsTextFrame;

const TEXT = { binary: false };

interface Entry {
  /** The frame's text for its `seq` (numbered when written, so a superseded frame leaves no gap). */
  frame(seq: number): OutboxFrame;
  bytes: number;
  /** Superseded by a later progress of its task while the socket was behind: not written. */
  dropped: boolean;
}

export interface SocketOutboxOptions {
  socket: OutboxSocket;
  scheduler: WriteScheduler;
  tcp?: TcpSocket;
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
    push(frame: (seq: number) => OutboxFrame, bytes: number, progressOf?: string) {
      if (closed || o.socket.readyState !== o.socket.OPEN) return;
      // The usual case, a socket keeping up: written at once, no queue entry. Its second frame in a
      // turn corks the TCP socket, uncorked at the end of the turn, so a burst leaves in one write;
      // one frame a turn is not corked (measured: corking every write cost CPU at low rates).
      if (queue.length === 0 && !behind && o.socket.bufferedAmount <= behindBytes) {
        const turn = o.scheduler.turn();
        if (turn === lastTurn && o.tcp && !corked) {
          o.tcp.cork();
          corked = true;
          o.scheduler.schedule(outbox);
        }
        lastTurn = turn;
        write(frame(++seq));
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
        o.tcp?.uncork();
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
      o.tcp?.cork();
      try {
        for (const e of due) if (!e.dropped) write(e.frame(++seq));
      } finally {
        o.tcp?.uncork();
      }
    },
    /** Frames written so far. */
    get sent() {
      return seq;
    },
  };
  // A write reached the kernel: what queued meanwhile can go.
  function drained(err?: Error | null) {
    if (!err && queue.length) o.scheduler.schedule(outbox);
  }
  /** Text frames, also when given as bytes (the protocol is JSON text). */
  function write(frame: OutboxFrame) {
    if (typeof frame === 'string') o.socket.send(frame, TEXT, drained);
    else if (o.tcp) o.tcp.write(frame.bytes, drained);
    else o.socket.send(frame.payload, TEXT, drained);
  }
  return outbox;
}

export type SocketOutbox = ReturnType<typeof createSocketOutbox>;
