import type { WebSocket } from 'ws';
import { DomainError, UUID_PATTERN, type GenerationView, type Principal, type TaskView } from '@reelforge/contracts';
import type { Logger } from 'pino';
import { createCursorGate } from './cursor-gate.ts';
import { eventFrame } from './event-frame.ts';
import { createSocketOutbox, type TcpSocket } from './socket-outbox.ts';
import {
  formatCursor,
  generationStatusMessage,
  parseCursor,
  taskStatusMessage,
  type Cursor,
  type StatusEvent,
} from './status-event.ts';
import type { Subscriber, SubscriptionRegistry } from './subscription-registry.ts';
import type { WriteScheduler } from './write-scheduler.ts';

export interface WsConnectionDeps {
  registry: SubscriptionRegistry;
  /** Stored facts of an account after a cursor, filtered (for `since`). */
  replay(accountId: string, since: Cursor, keep: (e: StatusEvent) => boolean): Promise<StatusEvent[]>;
  /** Loads a generation the principal owns (throws NOT_FOUND otherwise). */
  getGeneration(principal: Principal, id: string): Promise<GenerationView>;
  /** Loads a task the principal owns (throws NOT_FOUND otherwise). */
  getTask(principal: Principal, id: string): Promise<TaskView>;
  /** Resolves when the principal owns the account (throws NOT_FOUND otherwise). */
  checkAccount(principal: Principal, id: string): Promise<void>;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** Flushes the sockets' queued frames once per event-loop turn (one for the instance). */
  scheduler: WriteScheduler;
  log: Logger;
  /** Rewrites each outgoing message for another system's protocol (compat surfaces); undefined = not sent. */
  dialect?: (message: Record<string, unknown>) => Record<string, unknown> | undefined;
}

const uuid = new RegExp(UUID_PATTERN);

/** `{...message, seq}` as text, from the message's JSON (a message never carries its own `seq`). */
const withSeq = (json: string) => (seq: number) => `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"seq":${seq}}`;
const MAX_SUBSCRIPTIONS = 200;
/** Refused subscriptions (not owned, malformed) a connection may make before it is closed. */
export const MAX_FAILED_SUBSCRIBES = 20;

/**
 * One client connection speaking the live-status protocol (docs/architecture.md): greeting, subscribe/unsubscribe to a
 * task, a generation or an account (owned by the caller, else refused), a snapshot on subscribe, then
 * job_progress / job_status messages numbered by a per-connection `seq` and carrying a `cursor`;
 * `{subscribe…, since: cursor}` on a new connection first replays, from JetStream, every fact
 * the client missed after that cursor (none twice), then goes on live. Ping/pong drops dead
 * peers; a client that reads slowly gets each task's latest progress and every other message; one
 * that does not read (buffer over the limit) is dropped rather than buffered. `tcp`: the TCP
 * socket under `socket`: the frames of one event-loop turn leave in one write, and live events,
 * framed once per socket, are written to it without ws's per-send header.
 */
export function handleWsConnection(
  socket: WebSocket,
  principal: Principal,
  connectionId: string,
  deps: WsConnectionDeps,
  tcp?: TcpSocket,
): void {
  let alive = true;
  const subscriptions = new Set<string>();
  /** Ids being authorised: not yet registered, nothing sent. */
  const pending = new Set<string>();
  let failures = 0;

  const outbox = createSocketOutbox({
    socket,
    tcp,
    scheduler: deps.scheduler,
    maxBufferedBytes: deps.maxBufferedBytes,
    onTooSlow: (buffered) => {
      deps.log.warn({ connectionId, buffered }, 'slow websocket client dropped');
      socket.close(1013, 'too slow: messages were not read');
    },
  });
  /** Replies and snapshots: written at once, after whatever is queued (the order is kept). */
  const send = (original: Record<string, unknown>) => {
    const message = deps.dialect ? deps.dialect(original) : original;
    if (!message) return;
    const json = JSON.stringify(message);
    outbox.push(withSeq(json), json.length + 16);
    outbox.flush();
  };
  /** Live facts: queued for the end of the turn; a task's progress may be superseded while the socket is behind. */
  const sendEvent = (event: StatusEvent, cursor: string) => {
    const progressOf = event.message.type === 'job_progress' && event.taskId ? event.taskId : undefined;
    if (!deps.dialect) {
      const bytes = (event.json?.length ?? 256) + cursor.length + 24;
      outbox.push((seq) => eventFrame(event, cursor, seq), bytes, progressOf);
      return;
    }
    const message = deps.dialect({ ...event.message, cursor });
    if (!message) return;
    const json = JSON.stringify(message);
    outbox.push(withSeq(json), json.length + 16, progressOf);
  };
  const gate = createCursorGate(sendEvent);
  const subscriber: Subscriber = { deliver: gate.deliver };

  const heartbeat = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, deps.heartbeatMs);
  socket.on('pong', () => {
    alive = true;
  });

  const refuse = (id: unknown, code: string, message: string) => send({ type: 'error', id, error: { code, message } });

  /** `subscribe` takes a generation or a task id: ids are UUIDv7, never shared, so try one then the other. */
  async function job(
    id: string,
  ): Promise<{ kind: 'generation' | 'task'; accountId: string; snapshot: Record<string, unknown> }> {
    try {
      const view = await deps.getGeneration(principal, id);
      return {
        kind: 'generation',
        accountId: view.accountId,
        snapshot: { ...generationStatusMessage(view), snapshot: true },
      };
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
      const task = await deps.getTask(principal, id);
      return { kind: 'task', accountId: task.accountId, snapshot: { ...taskStatusMessage(task), snapshot: true } };
    }
  }

  /**
   * Authorise, then register, then snapshot: nothing about an id reaches the client, and the id
   * is not in the fan-out index, until the owner has confirmed the caller may see it. The snapshot
   * is read again after registering, so a change between the check and the registration is not lost.
   */
  async function subscribe(id: string, target: 'job' | 'account', since?: Cursor) {
    if (subscriptions.has(id)) {
      send({ type: 'subscribed', id });
      return;
    }
    if (pending.has(id)) return;
    if (subscriptions.size + pending.size >= MAX_SUBSCRIPTIONS) {
      refuse(id, 'VALIDATION_FAILED', `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
      return;
    }
    pending.add(id);
    let kind: 'generation' | 'task' | 'account';
    let accountId = id;
    try {
      if (target === 'job') ({ kind, accountId } = await job(id));
      else {
        await deps.checkAccount(principal, id);
        kind = 'account';
      }
    } catch (err) {
      pending.delete(id);
      const e = err instanceof DomainError ? err : new DomainError('INTERNAL', 'subscription failed');
      failed(
        id,
        e.code,
        e.code === 'NOT_FOUND' ? `${target === 'job' ? 'task or generation' : 'account'} ${id} not found` : e.message,
      );
      return;
    }
    // Unsubscribed or closed while being authorised: register nothing.
    if (!pending.delete(id) || socket.readyState !== socket.OPEN) return;
    deps.registry.add(id, subscriber);
    subscriptions.add(id);
    if (since) gate.beginResume(since);
    try {
      send({ type: 'subscribed', id, kind, ...(since ? { resumed_from: formatCursor(since) } : {}) });
      // What the client missed since its cursor; what arrived live meanwhile follows.
      const keep = (e: StatusEvent) =>
        kind === 'account' || (kind === 'generation' ? e.generationId === id : e.taskId === id);
      if (since) gate.replayed(await deps.replay(accountId, since, keep));
      if (kind !== 'account') send((await job(id)).snapshot);
    } catch (err) {
      // Owned, but the replay or the snapshot could not be read: the live subscription stays.
      const e = err instanceof DomainError ? err : new DomainError('INTERNAL', 'could not read the current state');
      refuse(id, e.code, e.message);
    } finally {
      if (since) gate.endResume();
    }
  }

  /** A refused subscribe costs budget: a client probing ids it does not own is cut off. */
  function failed(id: unknown, code: string, message: string) {
    refuse(id, code, message);
    if (++failures >= MAX_FAILED_SUBSCRIBES) {
      deps.log.warn(
        { connectionId, principal: principal.id, failures },
        'websocket closed after too many refused subscriptions',
      );
      // The refusals go out before the close frame, even to a socket that is behind.
      outbox.flush(true);
      socket.close(1008, 'too many refused subscriptions');
    }
  }

  socket.on('message', (raw: Buffer, isBinary: boolean) => {
    if (isBinary || raw.length > 4096) {
      refuse(null, 'VALIDATION_FAILED', 'messages are small JSON texts');
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('not an object');
    } catch {
      refuse(null, 'INVALID_JSON', 'message is not a JSON object');
      return;
    }
    const target = (key: string) => (typeof msg[key] === 'string' && uuid.test(msg[key]) ? msg[key] : undefined);
    let since: Cursor | undefined;
    if ('since' in msg) {
      since = parseCursor(msg.since);
      if (!since) {
        failed(msg.since, 'VALIDATION_FAILED', 'since must be a cursor this server sent ("<n>-<n>")');
        return;
      }
    }
    if ('subscribe' in msg) {
      const id = target('subscribe');
      if (id) void subscribe(id, 'job', since);
      else failed(msg.subscribe, 'VALIDATION_FAILED', 'subscribe needs a task or generation id (uuid)');
      return;
    }
    if ('subscribe_account' in msg) {
      const id = target('subscribe_account');
      if (id) void subscribe(id, 'account', since);
      else failed(msg.subscribe_account, 'VALIDATION_FAILED', 'subscribe_account needs an account id (uuid)');
      return;
    }
    for (const key of ['unsubscribe', 'unsubscribe_account']) {
      if (key in msg) {
        const id = target(key);
        if (id) pending.delete(id);
        if (id && subscriptions.delete(id)) deps.registry.remove(id, subscriber);
        send({ type: 'unsubscribed', id: msg[key] });
        return;
      }
    }
    if (msg.type === 'ping') {
      send({ type: 'pong' });
      return;
    }
    refuse(
      null,
      'VALIDATION_FAILED',
      'unknown message; expected subscribe, subscribe_account, unsubscribe or unsubscribe_account',
    );
  });

  socket.on('close', () => {
    clearInterval(heartbeat);
    for (const id of subscriptions) deps.registry.remove(id, subscriber);
    subscriptions.clear();
    pending.clear();
  });
  socket.on('error', () => socket.terminate());

  send({ type: 'connection', connection_id: connectionId, principal: principal.id });
}
