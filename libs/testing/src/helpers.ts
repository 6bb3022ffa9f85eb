import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '@reelforge/telemetry';

/** A short unique token for isolating a test's streams, subjects and schemas. */
export function uniqueToken(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** A logger whose JSON lines are kept in memory (and echoed when TEST_LOGS=1), for assertions. */
export function memoryLogger(service: string): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      const text = chunk.toString();
      lines.push(text);
      if (process.env.TEST_LOGS) process.stderr.write(text);
      cb();
    },
  });
  const log = createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? 'info', destination: sink });
  return {
    log,
    lines: () =>
      lines.flatMap((l) =>
        l
          .split('\n')
          .filter(Boolean)
          .map((x) => JSON.parse(x) as Record<string, unknown>),
      ),
  };
}

/** Resolves with the first value `probe` returns that is not undefined, polling an external system
 *  (a database row) that emits no event; rejects with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})` : ''}`,
  );
}

/** A promise with its resolve/reject exposed: a test settles it when the event it waits for happens. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
