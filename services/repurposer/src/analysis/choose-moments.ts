import type { Cue } from '../captions/cue.ts';
import { chooseSegments, type ChooseOptions, type ChosenSegment } from './choose-segments.ts';
import type { MomentCandidate, MomentRanker } from './llm-moment-ranker.ts';
import type { Signals } from './signals.ts';
import { indexTranscript } from './transcript-score.ts';

/** Candidates offered to the ranker: three per clip wanted, at most this many. */
const MAX_POOL = 12;

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The clips to make: chooseSegments on the signals and, when there is a transcript, on what is
 * said. With a ranker (an LLM, off unless configured) and a transcript, up to three times as many
 * non-overlapping candidates are chosen the same way and the ranker orders them by their words;
 * its top `count` become the clips, scored half heuristic, half rank. If the ranker fails in any way
 * the heuristic choice stands, and each clip's reason says the ranking failed and why. The abort
 * of `signal` is passed on, never taken for a ranker failure.
 */
export async function chooseMoments(
  signals: Signals,
  cues: readonly Cue[] | null,
  o: Omit<ChooseOptions, 'transcript'>,
  ranker: MomentRanker | null,
  signal: AbortSignal,
): Promise<ChosenSegment[]> {
  const transcript = cues && cues.length > 0 ? indexTranscript(cues) : undefined;
  const heuristic = chooseSegments(signals, { ...o, ...(transcript ? { transcript } : {}) });
  if (!ranker || !transcript) return heuristic;
  const pool = chooseSegments(signals, { ...o, count: Math.min(MAX_POOL, o.count * 3), transcript });
  if (pool.length <= heuristic.length) return heuristic;

  const candidates: MomentCandidate[] = pool.map((s, i) => ({
    id: `c${i + 1}`,
    start: s.start,
    end: s.end,
    text: transcript.text(s.start, s.end),
  }));
  try {
    const ranked = await ranker.rank(candidates, o.count, signal);
    return ranked
      .slice(0, o.count)
      .map((r, k) => {
        const s = pool[candidates.findIndex((c) => c.id === r.id)]!;
        return {
          start: s.start,
          end: s.end,
          score: round(0.5 * s.score + 0.5 * (1 - k / pool.length)),
          reason: `LLM ranked it #${k + 1} of ${pool.length} candidates: ${r.reason}; heuristic score ${s.score}: ${s.reason}`,
        };
      })
      .sort((a, b) => a.start - b.start);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const why = err instanceof Error ? err.message : String(err);
    return heuristic.map((s) => ({ ...s, reason: `${s.reason} (LLM ranking failed, heuristic order kept: ${why})` }));
  }
}
