import type { Word } from '../captions/cue.ts';

/** What to say and where to put it. */
export interface SpeechInput {
  text: string;
  /** An engine voice name (espeak-ng: `en`, `en-us`, `de`, `en+f3`…; an API: `alloy`…); null: the engine's default. */
  voice: string | null;
  /**
   * Speaking rate in words per minute (espeak-ng's own unit, 80–450; its default is 175); null:
   * the engine's default. An API that takes a speed multiplier gets `rate / 175`.
   */
  rate: number | null;
  /** The WAV file to write; it exists only once synthesis succeeded (never half-written). */
  outFile: string;
}

export interface SpeechResult {
  file: string;
  /** Exact length of the produced audio, from its own samples (not an estimate). */
  seconds: number;
  /**
   * Every whitespace-separated token of the text, in order, timed in seconds from the start of
   * this audio, monotonic and within [0, seconds]: joined with spaces they read as the text. A
   * token that is not pronounced (a dash) gets the pause it stands in, possibly zero-length.
   */
  words: Word[];
}

/** Why speech failed, in words a person can act on; `permanent` says whether retrying can help. */
export type SpeechFailure =
  /** The request itself is impossible (unknown voice, rate out of range, empty text): permanent. */
  | 'invalid-input'
  /** The engine or API refused us for good (missing binary, rejected credentials): permanent. */
  | 'unavailable'
  /** A failure that may pass (rate limit, 5xx, timeout, a crashed process): retry. */
  | 'failed'
  /** The caller's signal stopped it (a cancelled task): not a failure of the speech itself. */
  | 'aborted';

export class SpeechError extends Error {
  readonly failure: SpeechFailure;
  readonly permanent: boolean;
  constructor(failure: SpeechFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SpeechError';
    this.failure = failure;
    this.permanent = failure === 'invalid-input' || failure === 'unavailable';
  }
}

/** Turns text into a narrated WAV with per-word timing (the voice-over of one scene). */
export interface Speech {
  synthesize(input: SpeechInput, signal: AbortSignal): Promise<SpeechResult>;
  /** The voices this engine accepts, for listing in a UI; not every engine can tell. */
  voices?(): Promise<string[]>;
}

/** espeak-ng's default speed, and the rate an API's speed multiplier 1.0 stands for. */
export const DEFAULT_RATE_WPM = 175;
