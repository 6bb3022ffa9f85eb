import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { eventFrame } from '../src/live/event-frame.ts';
import type { StatusEvent } from '../src/live/status-event.ts';

// Live events are framed by us and written straight to the TCP socket, between the frames ws
// writes itself: a real ws client must read every one of them, whole and in order, at each of the
// three header sizes (payload ≤ 125 bytes, ≤ 65,535, above).

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

function event(message: string): StatusEvent {
  return {
    position: { stream: 'TASKS', seq: 7 },
    accountId: 'a',
    generationId: null,
    taskId: 't',
    message: { type: 'job_progress', job_id: 't', message },
  };
}

describe('pre-framed live events', () => {
  it('reach a real ws client whole and in order, between the frames ws writes itself', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    servers.push(server);
    await once(server, 'listening');
    const lengths = [1, 90, 300, 65_400, 70_000];
    server.on('connection', (ws, req) => {
      let seq = 0;
      for (const n of lengths) {
        ws.send(JSON.stringify({ type: 'pong', seq: ++seq }));
        req.socket.write(eventFrame(event('é'.repeat(n)), '12-3', ++seq).bytes);
      }
    });
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const received: unknown[] = [];
    const all = new Promise<void>((resolve, reject) => {
      client.on('error', reject);
      client.on('message', (data, isBinary) => {
        expect(isBinary).toBe(false);
        received.push(JSON.parse(String(data)));
        if (received.length === lengths.length * 2) resolve();
      });
    });
    await all;
    client.close();
    let seq = 0;
    const expected = lengths.flatMap((n) => [
      { type: 'pong', seq: ++seq },
      { type: 'job_progress', job_id: 't', message: 'é'.repeat(n), cursor: '12-3', seq: ++seq },
    ]);
    expect(received).toEqual(expected);
  });

  it('has the same payload as the event serialised with its cursor and seq', () => {
    const e = event('50% done "quoted"');
    const frame = eventFrame(e, '9-0', 41);
    expect(JSON.parse(frame.payload.toString('utf8'))).toEqual({ ...e.message, cursor: '9-0', seq: 41 });
    expect(frame.bytes.subarray(frame.bytes.length - frame.payload.length)).toEqual(frame.payload);
  });
});
