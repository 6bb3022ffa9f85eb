import { redactSecrets } from '@reelforge/telemetry';
import { ConfigError } from './config.ts';

/**
 * Runs a service's start function. A failure to start (bad config, unreachable NATS or database)
 * prints one readable line to stderr and exits non-zero: no stack dump for an operator to decode.
 * Set DEBUG_STARTUP=1 to get the stack as well.
 */
export function runMain(service: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    const message = err instanceof ConfigError ? err.message : describeStartupError(err);
    // A driver's message may quote a connection string: mask secrets in whatever is printed.
    process.stderr.write(`${service}: cannot start: ${redactSecrets(message)}\n`);
    if (process.env.DEBUG_STARTUP && err instanceof Error) process.stderr.write(`${redactSecrets(err.stack ?? '')}\n`);
    process.exit(1);
  });
}

function describeStartupError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = [err.message];
  let cause = err.cause;
  while (cause instanceof Error && parts.length < 4) {
    if (!parts.includes(cause.message)) parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.join(': ').replace(/\s+/g, ' ');
}
