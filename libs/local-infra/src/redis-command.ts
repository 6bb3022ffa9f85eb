import { connect } from 'node:net';

/** A RESP reply, as far as this helper reads them: simple and bulk strings, integers, flat arrays, nil. */
export type RedisReply = string | number | null | RedisReply[];

/**
 * Sends one command to redis on 127.0.0.1:`port` over a fresh connection and returns its reply
 * (an error reply rejects). Enough for PING and CONFIG GET without a client library.
 */
export function redisCommand(port: number, ...args: string[]): Promise<RedisReply> {
  const timeoutMs = 5000; // something else on the port may accept and never answer
  const request = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('redis closed the connection without a full reply')));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`redis on port ${port} did not answer ${args[0]} in ${timeoutMs} ms`));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      let parsed: { value: RedisReply; end: number } | undefined;
      try {
        parsed = parseReply(buffer, 0);
      } catch (err) {
        socket.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (!parsed) return; // incomplete: wait for more
      socket.destroy();
      resolve(parsed.value);
    });
    socket.write(request);
  });
}

/** Parses one reply at `at`; undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, at: number): { value: RedisReply; end: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const kind = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (kind) {
    case '+':
      return { value: line, end: next };
    case '-':
      throw new Error(`redis: ${line}`);
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RedisReply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`redis: unexpected reply ${JSON.stringify(buf.toString('utf8', at, eol))}`);
  }
}
