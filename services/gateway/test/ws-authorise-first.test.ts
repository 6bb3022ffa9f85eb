import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { DomainError, uuidv7, type GenerationView, type TaskView } from '@reelforge/contracts';
import { memoryLogger, deferred } from '@reelforge/testing';
import { handleWsConnection, MAX_FAILED_SUBSCRIBES, type WsConnectionDeps } from '../src/live/ws-connection.ts';
import { createSubscriptionRegistry } from '../src/live/subscription-registry.ts';
import { createWriteScheduler } from '../src/live/write-scheduler.ts';
import type { StatusEvent } from '../src/live/status-event.ts';

// The connection handler on a real WebSocket pair, with the owners' answers under the test's
// control: the order "authorise, register, snapshot" is checked at the moment it matters, while
// another tenant's facts are being dispatched and before the ownership answer arrives.

type Frame = Record<string, unknown>;

const notFound = () => new DomainError('NOT_FOUND', 'not found');

function generationView(id: string, accountId: string, status: string): GenerationView {
  return {
    id,
    accountId,
    status,
    counters: { total: 1, queued: 0, processing: 1, completed: 0, failed: 0, cancelled: 0 },
  } as unknown as GenerationView;
}

function statusEvent(seq: number, accountId: string, generationId: string, taskId: string): StatusEvent {
  return {
    position: { stream: 'TASKS', seq },
    accountId,
    generationId,
    taskId,
    message: { type: 'job_progress', job_id: taskId, generation_id: generationId, progress: seq },
  };
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

/** A server socket handled by `handleWsConnection` with `deps`, and a client recording frames. */
async function connect(overrides: Partial<WsConnectionDeps>) {
  const registry = createSubscriptionRegistry();
  const deps: WsConnectionDeps = {
    registry,
    replay: async () => [],
    getGeneration: async () => Promise.reject(notFound()),
    getTask: async () => Promise.reject(notFound()),
    checkAccount: async () => Promise.reject(notFound()),
    heartbeatMs: 60_000,
    maxBufferedBytes: 1 << 20,
    scheduler: createWriteScheduler(),
    log: memoryLogger('ws').log,
    ...overrides,
  };
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(wss);
  await once(wss, 'listening');
  wss.on('connection', (socket) => handleWsConnection(socket, { id: 'tenant-b', roles: [] }, 'c1', deps));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  client.on('message', (raw) => {
    const f = JSON.parse(raw.toString()) as Frame;
    frames.push(f);
    for (const w of [...waiters])
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
  });
  const closed = new Promise<number>((r) => client.on('close', (code) => r(code)));
  await once(client, 'open');
  const waitFor = (pred: (f: Frame) => boolean) => {
    const seen = frames.find(pred);
    return seen ? Promise.resolve(seen) : new Promise<Frame>((resolve) => waiters.push({ pred, resolve }));
  };
  await waitFor((f) => f.type === 'connection');
  return { registry, frames, waitFor, closed, send: (m: unknown) => client.send(JSON.stringify(m)) };
}

describe('WebSocket subscribe authorises before it registers', () => {
  it("another tenant's live facts dispatched while ownership is being checked never reach the caller", async () => {
    const [account, generation, task] = [uuidv7(), uuidv7(), uuidv7()];
    const answer = deferred<GenerationView>();
    const asked = deferred();
    let replays = 0;
    const c = await connect({
      getGeneration: () => {
        asked.resolve();
        return answer.promise;
      },
      replay: async () => {
        replays++;
        return [statusEvent(1, account, generation, task)];
      },
    });
    for (const since of [undefined, '0-0']) {
      c.send({ subscribe: generation, ...(since ? { since } : {}) });
      await asked.promise;
      // The owner has not answered yet: facts of the id are flowing for its real owner meanwhile.
      for (let seq = 1; seq <= 5; seq++) c.registry.dispatch(statusEvent(seq, account, generation, task));
      expect(c.registry.size).toBe(0);
      answer.reject(notFound());
      await c.waitFor((f) => f.type === 'error' && f.id === generation && (f.error as Frame).code === 'NOT_FOUND');
      Object.assign(answer, deferred<GenerationView>());
      Object.assign(asked, deferred());
    }
    const leaked = c.frames.filter((f) => f.type !== 'error' && f.type !== 'connection');
    expect(leaked).toEqual([]);
    expect(replays).toBe(0);
    expect(c.registry.size).toBe(0);
  });

  it('an owned subscription gets the state read after registering, so a change during the check is not lost', async () => {
    const [account, generation] = [uuidv7(), uuidv7()];
    let reads = 0;
    const c = await connect({
      getGeneration: async () => generationView(generation, account, ++reads === 1 ? 'processing' : 'completed'),
    });
    c.send({ subscribe: generation });
    const snapshot = await c.waitFor((f) => f.type === 'job_status' && f.snapshot === true);
    expect((snapshot.status as Frame).status).toBe('completed');
    expect(c.frames.map((f) => f.type)).toEqual(['connection', 'subscribed', 'job_status']);
    c.registry.dispatch(statusEvent(7, account, generation, uuidv7()));
    await c.waitFor((f) => f.type === 'job_progress');
  });

  it(`closes the connection after ${MAX_FAILED_SUBSCRIBES} refused subscriptions`, async () => {
    const c = await connect({});
    for (let i = 0; i < MAX_FAILED_SUBSCRIBES + 5; i++)
      c.send(i % 2 ? { subscribe: uuidv7() } : { subscribe_account: 'not-a-uuid' });
    expect(await c.closed).toBe(1008);
    expect(c.frames.filter((f) => f.type === 'error').length).toBeLessThanOrEqual(MAX_FAILED_SUBSCRIBES);
    expect(c.registry.size).toBe(0);
  });

  it('unsubscribing while the check runs registers nothing', async () => {
    const [account, task] = [uuidv7(), uuidv7()];
    const answer = deferred<TaskView>();
    const asked = deferred();
    const c = await connect({
      getTask: () => {
        asked.resolve();
        return answer.promise;
      },
    });
    c.send({ subscribe: task });
    await asked.promise;
    c.send({ unsubscribe: task });
    await c.waitFor((f) => f.type === 'unsubscribed');
    answer.resolve({ id: task, accountId: account } as TaskView);
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong');
    expect(c.registry.size).toBe(0);
    expect(c.frames.some((f) => f.type === 'subscribed')).toBe(false);
  });
});
