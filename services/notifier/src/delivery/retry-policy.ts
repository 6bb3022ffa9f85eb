/** How a delivery (a mail, a webhook call) is retried: doubling waits, capped, a bounded number of attempts. */
export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** The wait before attempt `attempts + 1`: doubling from the initial delay, capped. */
export const backoffMs = (policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>, attempts: number): number =>
  Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempts - 1));

/** A claimed attempt is retried by anyone after this long (its sender died mid-send). */
export const CLAIM_LEASE_MS = 120_000;
