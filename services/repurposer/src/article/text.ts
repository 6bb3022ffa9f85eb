/** Collapses every run of whitespace (including non-breaking and zero-width spaces) to one space. */
export function normalizeWhitespace(text: string): string {
  // eslint-disable-next-line no-misleading-character-class -- each zero-width character is matched alone, on purpose
  return text.replace(/[\s\u200b\u200c\u200d\u2060\ufeff]+/gu, ' ').trim();
}

const WORD = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu;

/**
 * Words as a narrator says them: runs of letters/digits, so a lone dash or bullet is not a word and
 * "don't", "3.5" or "e-mail" are one. Extraction, the extractive writer and the LLM budget check all
 * count with this, so their budgets agree.
 */
export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

/** The words of `text`, lower-cased, in order (for matching, not for display). */
export function wordsOf(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.toLowerCase());
}
