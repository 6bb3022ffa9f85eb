import { existsSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWs } from './support/ws-client.ts';
import { startStack, type Stack } from './support/stack.ts';

// No client can hold a connection forever: headers that trickle in, a socket that says nothing,
// an upload that stops mid-body; and one caller cannot hold every live connection.
describe('HTTP deadlines and live-connection caps', () => {
  let stack: Stack;
  let port: number;
  beforeAll(async () => {
    stack = await startStack({
      withRepurposer: false,
      env: {
        HTTP_REQUEST_TIMEOUT: '3s',
        HTTP_CONNECTION_TIMEOUT: '1s',
        UPLOAD_IDLE_TIMEOUT: '500ms',
        LIVE_CONNECTIONS_PER_PRINCIPAL: '2',
      },
    });
    port = Number(new URL(stack.gatewayUrl).port);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A raw TCP client: resolves with everything the server sent once it closes the connection, and when. */
  const rawClient = () => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    const started = performance.now();
    const closed = new Promise<{ received: string; afterMs: number }>((resolve) =>
      socket.on('close', () => resolve({ received, afterMs: performance.now() - started })),
    );
    socket.on('error', () => undefined);
    return { socket, closed };
  };

  it('a connection that sends nothing is closed after the idle deadline', async () => {
    const { closed } = rawClient();
    const { afterMs } = await closed;
    expect(afterMs).toBeGreaterThan(800);
    expect(afterMs).toBeLessThan(5_000);
  });

  it('headers trickled one line at a time (slow-loris) are cut off at the request deadline', async () => {
    const { socket, closed } = rawClient();
    socket.write('GET /api/v1/accounts HTTP/1.1\r\nHost: x\r\n');
    let n = 0;
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${n++}: y\r\n`), 300);
    const { received, afterMs } = await closed;
    clearInterval(drip);
    expect(afterMs).toBeLessThan(8_000);
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('an upload whose body stops arriving is answered 408 and nothing of it is kept', async () => {
    const bearer = await stack.bearer('tenant-stall');
    const { socket, closed } = rawClient();
    const boundary = 'stall';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\nContent-Type: video/mp4\r\n\r\n`;
    socket.write(
      `POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000000\r\n\r\n${head}${'x'.repeat(1000)}`,
    );
    // The response arrives while the request is unfinished; the test then hangs up.
    const answer = await new Promise<string>((resolve) => socket.on('data', (d) => resolve(d.toString())));
    socket.destroy();
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
    expect(answer).toMatch(/the upload stopped: no data for/);
    const uploads = join(stack.mediaRoot, 'uploads');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
  });

  it('a caller gets at most the configured number of live connections (WebSocket and SSE together); a closed one frees its place', async () => {
    const bearer = await stack.bearer('tenant-caps');
    const account = (await (
      await fetch(`${stack.gatewayUrl}/api/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Caps' }),
      })
    ).json()) as { id: string };
    const first = await openWs(stack.gatewayUrl, bearer);
    const sse = new AbortController();
    const stream = await fetch(`${stack.gatewayUrl}/api/v1/events?account_id=${account.id}`, {
      headers: { authorization: `Bearer ${bearer}` },
      signal: sse.signal,
    });
    expect(stream.status).toBe(200);
    await expect(openWs(stack.gatewayUrl, bearer)).rejects.toThrow(/HTTP 429/);
    const refusedSse = await fetch(`${stack.gatewayUrl}/api/v1/events?account_id=${account.id}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    expect(refusedSse.status).toBe(429);
    expect(((await refusedSse.json()) as { error: { message: string } }).error.message).toMatch(
      /at most 2 live connections/,
    );
    // Another caller is not affected.
    const other = await openWs(stack.gatewayUrl, await stack.bearer('tenant-caps-other'));
    other.close();
    first.close();
    await first.closed;
    // The place is freed when the socket has closed on the server too: poll the upgrade briefly.
    const deadline = Date.now() + 5_000;
    let again: Awaited<ReturnType<typeof openWs>> | undefined;
    while (!again && Date.now() < deadline) again = await openWs(stack.gatewayUrl, bearer).catch(() => undefined);
    expect(again).toBeDefined();
    again?.close();
    sse.abort();
  });
});
