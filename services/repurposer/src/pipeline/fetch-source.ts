import { createWriteStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { FORBIDDEN_ADDRESS, guardedLookup, isForbiddenAddress } from '@reelforge/net-policy';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PermanentError } from '@reelforge/messaging';
import { TaskErrorCodes, retryable } from './errors.ts';

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Allow loopback/private/link-local targets (local development and tests only). */
  allowPrivate: boolean;
}

/**
 * Streams an http(s) URL to `dest` with a size limit, a time limit and bounded redirects. The
 * address check runs inside the socket's DNS lookup, so a name cannot resolve to a private address
 * after being checked (DNS rebinding). 4xx answers are permanent; 5xx and network errors retry.
 * `headers` are sent on every hop (a platform's media host may want its player's user agent).
 */
export async function fetchSource(
  url: string,
  dest: string,
  limits: FetchLimits,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<{ bytes: number }> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let current = new URL(url);
  for (let hop = 0; hop <= limits.maxRedirects; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new PermanentError(
        TaskErrorCodes.SOURCE_URL_FORBIDDEN,
        `only http(s) sources are allowed, got ${current.protocol}`,
      );
    }
    const res = await get(current, limits.allowPrivate, combined, headers).catch((err: unknown) => {
      if (err instanceof PermanentError) throw err;
      if (timeout.aborted)
        throw retryable(TaskErrorCodes.TIMED_OUT, `source download took longer than ${limits.timeoutMs} ms`, err);
      if (signal.aborted) throw err;
      throw retryable(TaskErrorCodes.FETCH_FAILED, `cannot download source: ${(err as Error).message}`, err);
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status >= 400) {
      res.resume();
      const message = `source answered HTTP ${status}`;
      if (status >= 500 || status === 408 || status === 429) throw retryable(TaskErrorCodes.FETCH_FAILED, message);
      throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, message);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > limits.maxBytes) {
      res.destroy();
      throw new PermanentError(
        TaskErrorCodes.SOURCE_TOO_LARGE,
        `source is ${declared} bytes; the limit is ${limits.maxBytes}`,
      );
    }
    let bytes = 0;
    const limiter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        bytes += chunk.length;
        if (bytes > limits.maxBytes)
          cb(
            new PermanentError(TaskErrorCodes.SOURCE_TOO_LARGE, `source exceeds the limit of ${limits.maxBytes} bytes`),
          );
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(res, limiter, createWriteStream(dest), { signal: combined });
    } catch (err) {
      if (err instanceof PermanentError) throw err;
      if (timeout.aborted)
        throw retryable(TaskErrorCodes.TIMED_OUT, `source download took longer than ${limits.timeoutMs} ms`, err);
      if (signal.aborted) throw err;
      throw retryable(TaskErrorCodes.FETCH_FAILED, `source download broke off: ${(err as Error).message}`, err);
    }
    return { bytes };
  }
  throw new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, `more than ${limits.maxRedirects} redirects`);
}

function get(
  url: URL,
  allowPrivate: boolean,
  signal: AbortSignal,
  headers: Record<string, string>,
): Promise<IncomingMessage> {
  const lookup = guardedLookup(allowPrivate);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allowPrivate && isForbiddenAddress(host)) {
    return Promise.reject(
      new PermanentError(
        TaskErrorCodes.SOURCE_URL_FORBIDDEN,
        `refusing to fetch from ${host} (private or loopback address)`,
      ),
    );
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', lookup, signal, headers: { 'user-agent': 'reelforge-repurposer', ...lowerCased(headers) } },
      resolve,
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === FORBIDDEN_ADDRESS)
        reject(
          new PermanentError(
            TaskErrorCodes.SOURCE_URL_FORBIDDEN,
            `refusing to fetch from ${err.message.replace(/^refusing to connect to /, '')} (private or loopback address)`,
          ),
        );
      else reject(err);
    });
    req.end();
  });
}

/** Header names in lower case, so a given `User-Agent` replaces our default rather than doubling it. */
function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
