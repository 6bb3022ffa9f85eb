// What the ws-fanout bench and its client processes (ws-fanout-client.ts) say to each other over IPC.

export interface SocketTarget {
  url: string;
  headers: Record<string, string>;
  /** Sent once open; the socket counts when the server answers `subscribed`. Absent: nothing to send. */
  subscribe?: unknown;
}

export type ClientCommand =
  | { cmd: 'ensure'; count: number; ours: SocketTarget; bare: SocketTarget }
  /** Latencies of every message of `phase`, once `expected` arrived or `timeoutMs` passed. */
  | { cmd: 'report'; phase: number; expected: number; timeoutMs: number }
  | { cmd: 'exit' };

export type ClientReply =
  | { reply: 'ready'; ours: number; bare: number }
  | { reply: 'report'; phase: number; latencies: Float64Array }
  | { reply: 'bye' }
  | { reply: 'error'; error: string };
