const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/**
 * Parses `250ms`, `30s`, `30m`, `3h`, `1d`, or a bare number in `bareUnit` (so the seed's plain
 * numeric settings keep their old meaning). Returns milliseconds, or undefined when unreadable.
 */
export function parseDurationMs(text: string, bareUnit: DurationUnit): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  const unit = (m[2] as DurationUnit | undefined) ?? bareUnit;
  return Math.round(value * UNIT_MS[unit]);
}
