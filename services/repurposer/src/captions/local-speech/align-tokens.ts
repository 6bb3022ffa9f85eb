import type { Word } from '../cue.ts';

/** A cue is not aligned when more of its tokens than this are missing from the dictionary. */
const MAX_UNKNOWN_SHARE = 1 / 3;

/**
 * The dictionary words a caption token is said as: itself lower-cased without surrounding
 * punctuation (`"Hello,"` → `hello`), or its parts when hyphenated or slashed (`well-known` →
 * `well known`) and every part is known. Empty: nothing to say (`—`). Null: not in the dictionary
 * (names, numbers written as digits): the token is timed from its neighbours instead.
 */
export function dictionaryWords(token: string, known: (word: string) => boolean): string[] | null {
  const plain = token
    .toLowerCase()
    .replace(/[’‘]/gu, "'")
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  if (!plain) return [];
  if (known(plain)) return [plain];
  const parts = plain.split(/[-/–—]+/u).filter(Boolean);
  if (parts.length > 1 && parts.every(known)) return parts;
  return null;
}

/** One word of an aligner's result: text, start and duration in seconds from the cue's audio start. */
export interface AlignedWord {
  t: string;
  b: number;
  d: number;
}

/** The words of the text the aligner was asked for, in order: fillers (silence, noise) left out. */
export function spokenWords(result: AlignedWord[]): AlignedWord[] {
  return result.filter((w) => !/^(?:<.*>|\[.*\])$/u.test(w.t));
}

/**
 * Caption tokens timed from an alignment. `said[i]` is token i's dictionary words (null: unknown,
 * empty: silent) and `aligned` the aligner's spoken words, times relative to `offset` (the source
 * time the aligned audio starts at). Tokens take their words' span; unknown and silent tokens share
 * the gap between their timed neighbours in proportion to their length. Everything is clamped to
 * the cue's `window` and kept monotonic. Null when the alignment does not match the text word for
 * word, or too many tokens are unknown: a wrong highlight is worse than none.
 */
export function timeTokens(
  tokens: string[],
  said: (string[] | null)[],
  aligned: AlignedWord[],
  offset: number,
  window: { start: number; end: number },
): Word[] | null {
  const unknown = said.filter((s) => s === null).length;
  if (tokens.length === 0 || unknown > tokens.length * MAX_UNKNOWN_SHARE) return null;
  const expected = said.flatMap((s) => s ?? []);
  if (expected.length === 0 || aligned.length !== expected.length) return null;
  // Alternate pronunciations come back as `word(2)`.
  if (aligned.some((w, i) => w.t.replace(/\(\d+\)$/u, '') !== expected[i])) return null;

  const clamp = (t: number) => Math.min(window.end, Math.max(window.start, t));
  const spans: ({ start: number; end: number } | null)[] = [];
  let k = 0;
  for (const s of said) {
    if (!s || s.length === 0) {
      spans.push(null);
      continue;
    }
    const first = aligned[k]!;
    const last = aligned[k + s.length - 1]!;
    spans.push({ start: clamp(offset + first.b), end: clamp(offset + last.b + last.d) });
    k += s.length;
  }
  // Untimed runs share the gap between the timed tokens around them.
  const out: Word[] = [];
  for (let i = 0; i < tokens.length;) {
    const span = spans[i];
    if (span) {
      const start = Math.max(span.start, out.length ? out[out.length - 1]!.end : window.start);
      out.push({ start, end: Math.max(start, span.end), text: tokens[i]! });
      i++;
      continue;
    }
    let j = i;
    while (j < tokens.length && !spans[j]) j++;
    const from = out.length ? out[out.length - 1]!.end : window.start;
    const to = j < tokens.length ? Math.max(from, spans[j]!.start) : window.end;
    const lengths = tokens.slice(i, j).map((t) => Math.max(1, t.length));
    const total = lengths.reduce((a, b) => a + b, 0);
    let at = from;
    for (let t = i; t < j; t++) {
      const end = at + ((to - from) * lengths[t - i]!) / total;
      out.push({ start: at, end, text: tokens[t]! });
      at = end;
    }
    i = j;
  }
  // Millisecond precision, still inside the window.
  const ms = (t: number) => clamp(Math.round(t * 1000) / 1000);
  return out.map((w) => ({ start: ms(w.start), end: ms(w.end), text: w.text }));
}
