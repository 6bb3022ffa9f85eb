export interface RetryPolicy {
  /** Delay before the 2nd delivery, in ms. */
  initialDelayMs: number;
  /** Cap on any delay, in ms. */
  maxDelayMs: number;
  /** Total deliveries allowed, the first included; the next one is dead-lettered instead. */
  maxDeliveries: number;
  /** 0..1: the delay is drawn from [d·(1−jitter), d]. Spreads retries of a burst of failures. */
  jitter: number;
}

/**
 * Exponential backoff: `initial · 2^(attempt−1)`, capped, with jitter. `attempt` is the delivery
 * that just failed (1 for the first).
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (1 - policy.jitter * random()));
}
