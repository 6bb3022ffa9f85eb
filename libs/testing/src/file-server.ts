import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves fixed files over HTTP on 127.0.0.1 (a stand-in for a creator's video host).
 * `failFirst[name] = n` answers the first n requests for that file with 503 (a flaky host).
 */
export async function serveFiles(
  files: Record<string, string>,
  options: { failFirst?: Record<string, number> } = {},
): Promise<{ url(name: string): string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const failures = { ...options.failFirst };
  const server = createServer((req, res) => {
    requests++;
    const name = (req.url ?? '/').slice(1);
    if ((failures[name] ?? 0) > 0) {
      failures[name]!--;
      res.writeHead(503).end('try later');
      return;
    }
    const path = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!path) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
