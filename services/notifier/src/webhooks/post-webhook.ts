import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { FORBIDDEN_ADDRESS, guardedLookup, isForbiddenAddress } from '@reelforge/net-policy';

export interface PostOutcome {
  /** The receiver's status; null when it never answered. */
  status: number | null;
  /** Why it did not count as delivered; null on a 2xx. */
  error: string | null;
}

/** What a receiver may send back that we keep (in the attempt's error): enough to read, never a dump. */
const MAX_ANSWER_CHARS = 200;

/**
 * POSTs one delivery. Only a 2xx counts; redirects are not followed (a moved endpoint must be
 * updated, not silently chased), and the target is checked against private addresses inside the
 * socket's DNS lookup on every attempt, not only when the hook was created.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostOutcome> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!o.allowPrivate && isIP(host) && isForbiddenAddress(host))
    return Promise.resolve({ status: null, error: `refusing to connect to ${host} (private or loopback address)` });
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(o.allowPrivate),
        signal: AbortSignal.timeout(o.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Reelforge-Webhooks/1',
          ...headers,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (answer.length < MAX_ANSWER_CHARS) answer += chunk;
        });
        res.on('error', () => undefined);
        res.on('close', () => {
          if (status >= 200 && status < 300) {
            resolve({ status, error: null });
            return;
          }
          const said = answer.replace(/\s+/g, ' ').trim().slice(0, MAX_ANSWER_CHARS);
          resolve({ status, error: `the endpoint answered HTTP ${status}${said ? `: ${said}` : ''}` });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === FORBIDDEN_ADDRESS) {
        resolve({ status: null, error: `${err.message} (private or loopback address)` });
        return;
      }
      if (err.name === 'AbortError' || err.name === 'TimeoutError') {
        resolve({ status: null, error: `no answer within ${o.timeoutMs} ms` });
        return;
      }
      resolve({ status: null, error: `cannot reach the endpoint: ${err.code ?? err.message}` });
    });
    req.end(body);
  });
}
