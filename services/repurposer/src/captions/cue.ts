/** One word of a transcript with its own timing, in seconds (source time, or clip time once mapped). */
export interface Word {
  start: number;
  end: number;
  text: string;
}

/**
 * One caption: a span of time and the text shown during it, in seconds. `words`, when present,
 * carries per-word timing (VTT inline timestamps, a speech-to-text result) and enables the
 * karaoke-style highlight; joined with spaces, the words read as `text`.
 */
export interface Cue {
  start: number;
  end: number;
  text: string;
  words?: Word[];
  /** Drawn centred and larger: the only thing on screen besides a plain background. */
  emphasis?: boolean;
}
