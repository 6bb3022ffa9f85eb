import type { Generation, TaskStatus } from './api-types.ts';
import { ApiError, UnreachableError } from './errors.ts';

/**
 * The gateway's live status over WebSocket (`/api/v1/ws`, services/gateway/src/live/ws-connection.ts):
 * authenticate with the bearer header, wait for the `connection` greeting, `{ subscribe: <id> }`,
 * get `subscribed` and a snapshot, then `job_progress` / `job_status` messages, each with a `cursor`;
 * after a dropped connection `{ subscribe, since: <cursor> }` on a new one replays what was missed.
 */

/** A live message, as the CLI uses it. */
export type LiveEvent =
  | {
      type: 'progress';
      taskId: string;
      stage: string;
      percent: number;
      message: string;
      etaSeconds: number | null;
    }
  | {
      type: 'task_status';
      taskId: string;
      status: TaskStatus;
      error: { code: string; message: string } | null;
      contentIds: string[] | null;
      /** Snapshots carry the stage and percent. */
      stage: string | undefined;
      percent: number | undefined;
    }
  | { type: 'generation_status'; generation: Generation };

/** The protocol message (JSON object with a `type`) and, when it is a status message, the event. */
export interface LiveMessage {
  raw: Record<string, unknown>;
  event: LiveEvent | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Reads one text frame; undefined when it is not a protocol message at all. */
export function parseLiveMessage(text: string): LiveMessage | undefined {
  let raw: Record<string, unknown> | undefined;
  try {
    raw = obj(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (!raw || typeof raw.type !== 'string') return undefined;
  return { raw, event: toEvent(raw) };
}

function toEvent(m: Record<string, unknown>): LiveEvent | undefined {
  const jobId = str(m.job_id);
  if (!jobId) return undefined;
  if (m.type === 'job_progress') {
    return {
      type: 'progress',
      taskId: jobId,
      stage: str(m.stage) ?? 'processing',
      percent: num(m.progress) ?? 0,
      message: str(m.message) ?? '',
      etaSeconds: num(m.eta_seconds) ?? null,
    };
  }
  const status = obj(m.status);
  if (m.type !== 'job_status' || !status) return undefined;
  if (m.kind === 'generation') {
    if (typeof status.status !== 'string' || !obj(status.counters) || !Array.isArray(status.taskIds)) return undefined;
    return { type: 'generation_status', generation: status as unknown as Generation };
  }
  if (m.kind !== 'task' || typeof status.status !== 'string') return undefined;
  const error = obj(status.error);
  const output = obj(status.output);
  return {
    type: 'task_status',
    taskId: jobId,
    status: status.status as TaskStatus,
    error: error ? { code: str(error.code) ?? 'ERROR', message: str(error.message) ?? '' } : null,
    contentIds: Array.isArray(output?.contentIds) ? output.contentIds.filter((x) => typeof x === 'string') : null,
    stage: str(status.stage),
    percent: num(status.progress),
  };
}

export interface FollowOptions {
  wsUrl: string;
  token: string;
  /** A generation or task id. */
  jobId: string;
  WebSocket: typeof WebSocket;
  sleep(ms: number): Promise<void>;
  /** Every protocol message; return true once the job is over (the connection is then closed). */
  onMessage(message: LiveMessage): boolean;
  /** A connection was lost and is being made again. */
  onReconnect?(attempt: number, reason: string): void;
  /** Connections in a row that may fail before giving up (default 5). */
  maxRetries?: number;
  /** Resolves to stop following (e.g. an HTTP poll saw the end). */
  stop?: Promise<void>;
}

type SessionEnd = { kind: 'done' } | { kind: 'lost'; reason: string; subscribed: boolean };

/** Follows one job until `onMessage` says it is over, reconnecting (with `since`) when the connection drops. */
export async function followJob(options: FollowOptions): Promise<void> {
  const maxRetries = options.maxRetries ?? 5;
  let cursor: string | undefined;
  let failures = 0;
  let stopped = false;
  void options.stop?.then(() => {
    stopped = true;
  });
  for (;;) {
    const end = await session(options, cursor, (c) => (cursor = c));
    if (end.kind === 'done' || stopped) return;
    failures = end.subscribed ? 1 : failures + 1;
    if (failures > maxRetries) {
      throw new UnreachableError(`live status from ${options.wsUrl} lost: ${end.reason} (${maxRetries} retries)`);
    }
    options.onReconnect?.(failures, end.reason);
    await Promise.race([options.sleep(Math.min(8000, 500 * 2 ** (failures - 1))), options.stop]);
    if (stopped) return;
  }
}

function session(
  options: FollowOptions,
  cursor: string | undefined,
  seen: (cursor: string) => void,
): Promise<SessionEnd> {
  return new Promise<SessionEnd>((resolve, reject) => {
    let subscribed = false;
    let settled = false;
    let ws: WebSocket;
    try {
      ws = new options.WebSocket(options.wsUrl, { headers: { authorization: `Bearer ${options.token}` } });
    } catch (err) {
      resolve({ kind: 'lost', reason: err instanceof Error ? err.message : String(err), subscribed });
      return;
    }
    const finish = (end: SessionEnd | Error) => {
      if (settled) return;
      settled = true;
      if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(1000);
      if (end instanceof Error) reject(end);
      else resolve(end);
    };
    void options.stop?.then(() => finish({ kind: 'done' }));
    ws.addEventListener('message', (e: MessageEvent) => {
      if (typeof e.data !== 'string') return;
      const message = parseLiveMessage(e.data);
      if (!message) return;
      const m = message.raw;
      if (m.type === 'connection') {
        ws.send(JSON.stringify({ subscribe: options.jobId, ...(cursor ? { since: cursor } : {}) }));
        return;
      }
      if (m.type === 'subscribed' && m.id === options.jobId) subscribed = true;
      if (m.type === 'error' && !subscribed && (m.id === options.jobId || m.id === cursor)) {
        const error = obj(m.error);
        const code = str(error?.code) ?? 'ERROR';
        finish(new ApiError(statusOfCode(code), code, str(error?.message) ?? 'subscription refused'));
        return;
      }
      const c = str(m.cursor);
      if (c) seen(c);
      let over: boolean;
      try {
        over = options.onMessage(message);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (over) finish({ kind: 'done' });
    });
    ws.addEventListener('close', (e: CloseEvent) => {
      finish({ kind: 'lost', reason: `connection closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`, subscribed });
    });
    // An error is always followed by a close, which says what happened.
    ws.addEventListener('error', () => undefined);
  });
}

/** The HTTP status the gateway gives an error code (docs/errors.md), for the exit code of a refused subscription. */
function statusOfCode(code: string): number {
  const known: Record<string, number> = {
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    RATE_LIMITED: 429,
    INTERNAL: 500,
    BAD_GATEWAY: 502,
    SERVICE_UNAVAILABLE: 503,
  };
  return known[code] ?? 400;
}
