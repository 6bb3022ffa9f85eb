import type { RenderOptions, Span } from '@reelforge/contracts';
import { invalidInput } from './errors.ts';

/** A clip to cut: one or more source spans, with why it was chosen. */
export interface PlannedSegment {
  parts: Span[];
  score: number | null;
  reason: string;
}

/**
 * The caller's own segments, checked against the source: each part inside it, start before end,
 * long enough to render. Wrong ones fail the task permanently with the part named.
 */
export function explicitSegments(
  segments: NonNullable<RenderOptions['segments']>,
  durationSeconds: number,
): PlannedSegment[] {
  return segments.map((segment, i) => {
    segment.parts.forEach((p, j) => {
      const where = `segment ${i + 1}, part ${j + 1}`;
      if (p.end <= p.start) throw invalidInput(`${where} ends (${p.end} s) before it starts (${p.start} s)`);
      if (p.end - p.start < 0.5)
        throw invalidInput(`${where} is ${(p.end - p.start).toFixed(2)} s long; at least 0.5 s is needed`);
      if (p.start >= durationSeconds)
        throw invalidInput(`${where} starts at ${p.start} s, after the source's end (${durationSeconds.toFixed(2)} s)`);
    });
    // A part may run a hair past the end (rounding in the caller's player): clamp rather than fail.
    const parts = segment.parts.map((p) => ({ start: p.start, end: Math.min(p.end, durationSeconds) }));
    return { parts, score: null, reason: 'chosen by the caller' };
  });
}
