import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { FORBIDDEN_ADDRESS, guardedLookup, isForbiddenAddress } from '@reelforge/net-policy';

export interface GuardedProxy {
  /** `http://127.0.0.1:<port>`: what yt-dlp's `--proxy` is given. */
  url: string;
  /** Addresses (or IP literals) a connection was refused to, in order. */
  refused(): readonly string[];
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never passed on to the target.
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * A forward proxy on 127.0.0.1 for one yt-dlp run, applying the same address rules as our own
 * fetcher to every connection yt-dlp makes: the page, its redirects, API calls and manifests.
 * Checking the page's host before yt-dlp starts is not enough on its own: yt-dlp follows
 * redirects and reads URLs out of the page, and a name can resolve differently the second time.
 * HTTPS goes through CONNECT (the proxy sees only host and port; TLS stays end to end), plain HTTP
 * as absolute-form requests. The check runs inside each connection's DNS lookup, as in fetchSource.
 */
export async function startGuardedProxy(allowPrivate: boolean): Promise<GuardedProxy> {
  const refused: string[] = [];
  const sockets = new Set<Duplex>();
  const lookup = guardedLookup(allowPrivate);
  const track = (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  /** Why the target may not be reached, before any DNS: an IP literal skips `lookup`. */
  const literalRefusal = (host: string): string | undefined =>
    isIP(host) !== 0 && !allowPrivate && isForbiddenAddress(host) ? host : undefined;
  const noteRefusal = (err: NodeJS.ErrnoException): boolean => {
    if (err.code !== FORBIDDEN_ADDRESS) return false;
    refused.push(err.message.replace(/^refusing to connect to /, ''));
    return true;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute http URL expected');
      return;
    }
    if (target.protocol !== 'http:') {
      res.writeHead(400).end('only http is proxied this way; https goes through CONNECT');
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const literal = literalRefusal(host);
    if (literal) {
      refused.push(literal);
      res.writeHead(403).end('forbidden address');
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value;
    const upstream = httpRequest(target, { method: req.method, headers, lookup, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const forbidden = noteRefusal(err);
      // The reason phrase carries the cause: yt-dlp shows it ("HTTP Error 502: Bad Gateway (ECONNREFUSED)").
      if (!res.headersSent)
        res.writeHead(forbidden ? 403 : 502, forbidden ? 'Forbidden' : `Bad Gateway (${errorName(err)})`).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    client.on('error', () => undefined);
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(req.url ?? '');
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const host = m[1]!;
    const port = Number(m[2]);
    const literal = literalRefusal(host);
    if (literal) {
      refused.push(literal);
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream: Socket = connect({ host, port, lookup });
    track(upstream);
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const forbidden = noteRefusal(err);
      if (!connected)
        client.end(`HTTP/1.1 ${forbidden ? '403 Forbidden' : `502 Bad Gateway (${errorName(err)})`}\r\n\r\n`);
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  });
  server.on('connection', track);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A network error's code (ECONNREFUSED, ENOTFOUND …), safe in a status line. */
function errorName(err: NodeJS.ErrnoException): string {
  return (err.code ?? 'network error').replace(/[^A-Za-z0-9 _-]/g, '');
}
