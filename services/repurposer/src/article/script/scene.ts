import {
  ARTICLE_SECONDS,
  ArticleScene,
  ArticleScript,
  SCRIPT_LIMITS,
  type ArticleScene as SceneType,
  type ArticleScript as ScriptType,
} from '@reelforge/contracts';

// The script's shape is part of the API (a task and its video return it): it lives in contracts.
export { SCRIPT_LIMITS };
export const Scene = ArticleScene;
export type Scene = SceneType;
export const VideoScript = ArticleScript;
export type VideoScript = ScriptType;

/** Narration speed the word budget assumes when the caller gives none (≈ 156 words a minute). */
const DEFAULT_WORDS_PER_SECOND = 2.6;

/** Video lengths a script can be written for, in seconds. */
const TARGET_SECONDS = { min: ARTICLE_SECONDS.min, max: ARTICLE_SECONDS.max } as const;

/** Options shared by the script writers. */
export interface ScriptOptions {
  /** Length of the video, 15–90 s: with `wordsPerSecond` it sets the narration's word budget. */
  targetSeconds: number;
  wordsPerSecond?: number;
  /** At most this many scenes (default and ceiling: 12). */
  maxScenes?: number;
}

/** How many words the narration may have, title included. Throws RangeError on options out of range. */
export function wordBudget(o: ScriptOptions): number {
  const { targetSeconds, wordsPerSecond = DEFAULT_WORDS_PER_SECOND } = o;
  if (!(targetSeconds >= TARGET_SECONDS.min && targetSeconds <= TARGET_SECONDS.max)) {
    throw new RangeError(
      `targetSeconds must be within ${TARGET_SECONDS.min}–${TARGET_SECONDS.max}, got ${targetSeconds}`,
    );
  }
  if (!(wordsPerSecond > 0 && wordsPerSecond <= 10))
    throw new RangeError(`wordsPerSecond must be within (0, 10], got ${wordsPerSecond}`);
  return Math.floor(targetSeconds * wordsPerSecond);
}

/** The scene ceiling the options allow: `maxScenes` within 1–12. */
export function sceneCeiling(o: ScriptOptions): number {
  const max = o.maxScenes ?? SCRIPT_LIMITS.maxScenes;
  if (!Number.isInteger(max) || max < SCRIPT_LIMITS.minScenes)
    throw new RangeError(`maxScenes must be a positive integer, got ${max}`);
  return Math.min(max, SCRIPT_LIMITS.maxScenes);
}
