/** The p-th percentile (0–100) of counts, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The level a recipe's pool is kept at: its configured minimum, raised to what the next hour is
 * expected to take (the 95th percentile of the claims in each of the last hours), never above
 * `cap`. A configured minimum of 0 switches the backlog off: demand does not turn it back on.
 */
export function adaptiveMinimum(configured: number, claimsPerHour: number[], cap: number): number {
  if (configured === 0) return 0;
  return Math.max(configured, Math.min(cap, Math.ceil(percentile(claimsPerHour, 95))));
}
