const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/** How a unit is spelt out in messages (`m` alone reads like metres or months). */
const UNIT_NAME: Record<DurationUnit, string> = { ms: 'ms', s: 's', m: 'min', h: 'h', d: 'd' };

/** A duration as read: milliseconds, and the number and unit the text gave (unit undefined when bare). */
interface ReadDuration {
  ms: number;
  number: string;
  unit: DurationUnit | undefined;
}

/**
 * Reads `500ms`, `30s`, `5m`, `3h`, `2d` (a decimal number and one unit, spaces around ignored), or
 * a bare number, which is taken in `bareUnit`. Undefined when unreadable.
 */
function readDuration(text: string, bareUnit: DurationUnit): ReadDuration | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] as DurationUnit | undefined;
  return { ms: Math.round(Number(m[1]) * UNIT_MS[unit ?? bareUnit]), number: m[1]!, unit };
}

/**
 * Parses `500ms`, `30s`, `5m`, `3h`, `2d`, or a bare number in `bareUnit` (the unit each setting was
 * first documented with, so old bare values keep their meaning). Milliseconds, or undefined when unreadable.
 */
export function parseDurationMs(text: string, bareUnit: DurationUnit): number | undefined {
  return readDuration(text, bareUnit)?.ms;
}

/**
 * The warning for a bare, non-zero duration (`COMMAND_TIMEOUT=5 has no unit; read as 5 ms — write
 * 5ms`), or undefined when the text names its unit or is zero (zero is zero in any unit).
 */
export function bareDurationWarning(name: string, text: string, bareUnit: DurationUnit): string | undefined {
  const read = readDuration(text, bareUnit);
  if (!read || read.unit !== undefined || Number(read.number) === 0) return undefined;
  return `${name}=${read.number} has no unit; read as ${read.number} ${UNIT_NAME[bareUnit]} — write ${read.number}${bareUnit}`;
}
