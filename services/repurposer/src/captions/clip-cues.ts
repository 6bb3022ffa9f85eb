import type { Cue, Word } from './cue.ts';

/** Pieces shorter than this are slivers left by a cut: unreadable, so dropped. */
const MIN_PIECE_SECONDS = 0.05;

// Millisecond precision: enough for captions, and it keeps float noise out of the numbers.
const ms = (t: number) => Math.round(t * 1000) / 1000;

/**
 * The captions of one clip, in clip time. A clip is its parts (source spans) played in order, each
 * consecutive pair overlapped by an xfade of `transitionSeconds`, so part i starts at
 * `sum(len(parts[0..i-1])) - i * transitionSeconds`. Each cue overlapping a part is clamped to the
 * part and shifted; pieces shorter than 0.05 s are dropped. Words follow their cue: those outside
 * the part go (a cue whose words all fall outside is dropped: nothing is said in that piece), a
 * word cut by the part's edge is clamped, and the text is re-joined from the remaining words.
 * Pieces of consecutive parts may overlap during a transition; buildAssDocument settles that.
 */
export function cuesForClip(cues: Cue[], parts: { start: number; end: number }[], transitionSeconds: number): Cue[] {
  const out: Cue[] = [];
  const overlap = parts.length > 1 ? Math.max(0, transitionSeconds) : 0;
  let offset = 0;
  for (const part of parts) {
    const shift = (t: number) => ms(offset + t - part.start);
    for (const cue of cues) {
      const start = Math.max(cue.start, part.start);
      const end = Math.min(cue.end, part.end);
      if (end - start < MIN_PIECE_SECONDS) continue;
      if (!cue.words) {
        out.push({ start: shift(start), end: shift(end), text: cue.text });
        continue;
      }
      const words: Word[] = [];
      for (const w of cue.words) {
        const ws = Math.max(w.start, part.start);
        const we = Math.min(w.end, part.end);
        // A word cut by the part's edge goes when little is left of it; a word that is short in
        // the source (a quick "a") and lies wholly inside stays.
        const whole = ws === w.start && we === w.end;
        if (we < ws || (!whole && we - ws < MIN_PIECE_SECONDS)) continue;
        words.push({ start: shift(ws), end: shift(we), text: w.text });
      }
      if (words.length === 0) continue;
      out.push({ start: shift(start), end: shift(end), text: words.map((w) => w.text).join(' '), words });
    }
    offset += part.end - part.start - overlap;
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

const SENTENCE_END = /[.!?…]["'”’»]*$/;

/**
 * Source times at which a sentence ends: the end of each word, or of each cue without words,
 * whose text ends with `.`, `!`, `?` or `…` (a closing quote may follow). Sorted, no repeats.
 * Analysis snaps segment ends to these so clips do not stop mid-sentence.
 */
export function sentenceEnds(cues: Cue[]): number[] {
  const ends = new Set<number>();
  for (const cue of cues) {
    if (cue.words && cue.words.length > 0) {
      for (const w of cue.words) if (SENTENCE_END.test(w.text.trim())) ends.add(w.end);
    } else if (SENTENCE_END.test(cue.text.trim())) {
      ends.add(cue.end);
    }
  }
  return [...ends].sort((a, b) => a - b);
}
