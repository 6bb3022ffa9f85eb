/** Momentary loudness (EBU R128, 400 ms window) in LUFS; `t` is the window's centre, in seconds. */
export interface LoudnessPoint {
  t: number;
  lufs: number;
}

/** A span of the source's timeline, in seconds. */
export interface Interval {
  start: number;
  end: number;
}

/**
 * What one cheap pass over a source tells us about where its moments are: how loud it is over
 * time, where nobody speaks, and where the picture cuts. Times are seconds from the start.
 */
export interface Signals {
  durationSeconds: number;
  /** About every 0.1 s; empty when the source has no audio. */
  loudness: LoudnessPoint[];
  /** Sorted, non-overlapping; empty when the source has no audio. */
  silences: Interval[];
  /** Times of the first frame of each new shot, sorted. */
  sceneCuts: number[];
}
