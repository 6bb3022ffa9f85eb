/**
 * What a handler's failure asks of the consumer loop (docs/architecture.md, Reliability decisions:
 * dead-lettering and backoff):
 * - PermanentError: retrying cannot help (bad input, impossible option) → dead-letter now.
 * - anything else (RetryableError or an unexpected Error) → nak with backoff until max deliveries,
 *   then dead-letter.
 * Wrapping always sets `cause`.
 */
export class PermanentError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
    this.code = code;
  }
}

export class RetryableError extends Error {
  readonly code: string;
  /** Overrides the policy's next delay when the failure knows better (e.g. Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.name = 'RetryableError';
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export function errorCode(err: unknown): string {
  return err instanceof PermanentError || err instanceof RetryableError ? err.code : 'UNEXPECTED';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
