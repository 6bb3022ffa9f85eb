import type { Word } from '../captions/cue.ts';
import type { Span } from './wav.ts';

/**
 * Word timing for synthesised speech. Positions are worked out on a "speech-only" timeline (the
 * audio with its pauses cut out) and then laid onto the real audio, re-inserting the pauses measured
 * in it: a boundary close to a measured pause is pinned to it (the word before ends where the pause
 * starts, the next starts where it ends), so pauses at commas and full stops land exactly.
 */

/** Titles and the like after which ICU breaks a sentence but a reader does not ("Mr. Smith"). */
const NO_BREAK_AFTER =
  /(?:^|\s)(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|Gen|Col|Capt|Lt|Sgt|Rev|Hon|Fig|No|vs|cf|approx|e\.g|i\.e)\.\s*$/iu;

/**
 * Sentences as the platform's ICU splits them, kept only at whitespace (so "x.io/a?b=c" stays one
 * word and the sentences' words still read as the text) and not after a title.
 */
export function splitSentences(text: string): string[] {
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const out: string[] = [];
  let pending = '';
  for (const { segment } of segmenter.segment(text)) {
    pending += segment;
    if (/\s$/u.test(pending) && !NO_BREAK_AFTER.test(pending)) {
      if (pending.trim()) out.push(pending.trim());
      pending = '';
    }
  }
  if (pending.trim()) out.push(pending.trim());
  return out;
}

/** The words of a text as a caption shows them: whitespace-separated tokens, punctuation attached. */
export function tokenize(text: string): string[] {
  return text.split(/\s+/u).filter((t) => t.length > 0);
}

const VOWEL_GROUPS = /[aeiouyæøåœ]+/gu;
const OTHER_VOWELS = /[аеёиоуыэюяαεηιουω]/gu;
const SYMBOL_SYLLABLES: Record<string, number> = { '&': 1, '%': 2, $: 2, '€': 2, '£': 2, '+': 1, '=': 2, '@': 1 };

/**
 * A rough syllable count for weighting a word's share of time when nothing better is measured:
 * vowel groups for Latin script (a silent final "e" dropped), one per letter for acronyms (dotted
 * like "U.S.A.", or 2–4 capitals: "NASA" is then overcounted, "BBC" right), about one and a half
 * per digit for numbers ("1999" is five), vowels for Cyrillic and Greek, one per character for other
 * scripts (CJK), a few symbols ("&" is "and").
 * 0 means the token is not pronounced (a dash).
 */
export function estimateSyllables(token: string): number {
  const plain = token.normalize('NFD').replace(/\p{M}/gu, '');
  const lower = plain.toLowerCase();
  const digits = (plain.match(/\p{Nd}/gu) ?? []).length;
  const numberSyllables = digits === 0 ? 0 : digits === 1 ? 1 : Math.round(digits * 1.5);
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are what is counted here
  const symbols = [...plain].reduce((n, c) => n + (SYMBOL_SYLLABLES[c] ?? 0), 0);
  const latin = lower.replace(/[^a-z]/g, '');
  let latinSyllables = 0;
  if (latin) {
    const acronym =
      /^(\p{Lu}\.){2,}$/u.test(plain.replace(/[^\p{L}.]/gu, '')) ||
      /^\p{Lu}{2,4}$/u.test(plain.replace(/[^\p{L}]/gu, ''));
    if (acronym) latinSyllables = latin.length;
    else {
      latinSyllables = (latin.match(VOWEL_GROUPS) ?? []).length;
      if (latin.length > 2 && /[^aeiouy]e$/.test(latin) && latinSyllables > 1) latinSyllables--;
      latinSyllables = Math.max(1, latinSyllables);
    }
  }
  const otherVowels = (lower.match(OTHER_VOWELS) ?? []).length;
  const otherLetters = (lower.replace(/[a-z]/g, '').replace(OTHER_VOWELS, '').match(/\p{L}/gu) ?? []).length;
  const cyrillicOrGreek = /[\u0370-\u03ff\u0400-\u04ff]/u.test(lower);
  const count = latinSyllables + numberSyllables + symbols + otherVowels + (cyrillicOrGreek ? 0 : otherLetters);
  return count === 0 && otherLetters > 0 ? 1 : count;
}

/** Spoken tokens laid end to end in proportion to their weights over `total` seconds; silent ones null. */
export function proportionalSpans(weights: number[], total: number): (Span | null)[] {
  const sum = weights.reduce((a, w) => a + w, 0);
  let at = 0;
  return weights.map((w) => {
    if (w <= 0 || sum <= 0) return null;
    const start = at;
    at += (w / sum) * total;
    return { start, end: at };
  });
}

export interface AlignToken {
  /** Expected relative length (phonemes or syllables), > 0. */
  weight: number;
  /** How many separately spoken words the engine makes of it ("1999" → 3), when known. */
  parts: number | null;
}

const MAX_SPAN = 8;
const sq = (x: number) => x * x;

/**
 * Assigns spoken tokens to the speech segments of a rendering in which every word stands apart
 * (a word-gapped re-rendering): usually one segment per engine word, but a token may cover several
 * ("1999", "example.com") and, where a gap was not detected, several tokens share one segment (split
 * by weight). Dynamic programming over the monotone alignments, each scored by how far a span's
 * measured length is from its weight's share (log ratio) and how far its segment count is from the
 * engine's own word count. Returns each token's span in the rendering's time, or null if impossible.
 */
export function alignToSegments(tokens: AlignToken[], segments: Span[]): Span[] | null {
  const n = tokens.length;
  const m = segments.length;
  if (n === 0) return [];
  if (m === 0) return null;
  const partsKnown = tokens.every((t) => t.parts !== null && t.parts > 0);
  if (partsKnown && tokens.reduce((a, t) => a + t.parts!, 0) === m) {
    let j = 0;
    return tokens.map((t) => {
      const span = { start: segments[j]!.start, end: segments[j + t.parts! - 1]!.end };
      j += t.parts!;
      return span;
    });
  }
  const durations = segments.map((s) => s.end - s.start);
  const perWeight = durations.reduce((a, d) => a + d, 0) / tokens.reduce((a, t) => a + t.weight, 0);
  const expected = (from: number, to: number) => {
    let w = 0;
    for (let i = from; i < to; i++) w += tokens[i]!.weight;
    return Math.max(1e-3, w * perWeight);
  };
  const measured = (from: number, to: number) => Math.max(1e-3, segments[to - 1]!.end - segments[from]!.start);
  const partsCost = (i: number, k: number) =>
    0.5 * Math.abs(k - (tokens[i]!.parts ?? 1)) * (tokens[i]!.parts === null ? 0.5 : 1);

  // cost[i][j]: best cost of tokens [0, i) on segments [0, j); step[i][j]: [tokens taken, segments taken].
  const cost = Array.from({ length: n + 1 }, () => new Float64Array(m + 1).fill(Infinity));
  const step = Array.from({ length: n + 1 }, () => new Array<[number, number]>(m + 1));
  cost[0]![0] = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const here = cost[i]![j]!;
      if (here === Infinity) continue;
      // One token over k segments.
      for (let k = 1; k <= MAX_SPAN && j + k <= m; k++) {
        const c = here + sq(Math.log(measured(j, j + k) / expected(i, i + 1))) + partsCost(i, k);
        if (c < cost[i + 1]![j + k]!) {
          cost[i + 1]![j + k] = c;
          step[i + 1]![j + k] = [1, k];
        }
      }
      // r tokens in one segment: a gap went undetected (or the engine ran the words together).
      for (let r = 2; r <= MAX_SPAN && i + r <= n; r++) {
        let c = here + sq(Math.log(measured(j, j + 1) / expected(i, i + r))) + (r - 1);
        for (let t = i; t < i + r; t++) c += partsCost(t, 1);
        if (c < cost[i + r]![j + 1]!) {
          cost[i + r]![j + 1] = c;
          step[i + r]![j + 1] = [r, 1];
        }
      }
    }
  }
  if (cost[n]![m] === Infinity) return null;
  const spans: Span[] = new Array<Span>(n);
  let i = n;
  let j = m;
  while (i > 0) {
    const [r, k] = step[i]![j]!;
    const start = segments[j - k]!.start;
    const end = segments[j - 1]!.end;
    if (r === 1) spans[i - 1] = { start, end };
    else {
      const total = expected(i - r, i);
      let at = start;
      for (let t = i - r; t < i; t++) {
        const next = at + ((end - start) * expected(t, t + 1)) / total;
        spans[t] = { start: at, end: t === i - 1 ? end : next };
        at = next;
      }
    }
    i -= r;
    j -= k;
  }
  return spans;
}

/** The complement of `silences` within [0, seconds]: the spans where there is sound. */
export function soundSpans(silences: Span[], seconds: number): Span[] {
  const out: Span[] = [];
  let at = 0;
  for (const s of silences) {
    if (s.start > at) out.push({ start: at, end: s.start });
    at = Math.max(at, s.end);
  }
  if (seconds > at) out.push({ start: at, end: seconds });
  return out;
}

/** A time within the sound of an audio as a position on its speech-only timeline. */
export function toSpeechOnly(time: number, silences: Span[]): number {
  let removed = 0;
  for (const s of silences) {
    if (s.end <= time) removed += s.end - s.start;
    else if (s.start < time) removed += time - s.start;
  }
  return time - removed;
}

export interface PauseMatching {
  /** How far (s) a boundary may be from a pause to be pinned to it. */
  tolerance: number;
  /** The same for a boundary after punctuation (where speakers pause), which is also preferred. */
  punctuationTolerance: number;
}

const SENTENCE_END = /[.!?…]["'”’»)\]]*$/u;
const PUNCTUATED = /[,;:)\]}"'”’»—–-]$/u;

/** What a boundary after this token is: 2 sentence end, 1 other punctuation, 0 none. */
function boundaryKind(token: string): 0 | 1 | 2 {
  return SENTENCE_END.test(token) ? 2 : PUNCTUATED.test(token) ? 1 : 0;
}

/**
 * Which measured pause belongs to which word boundary: the monotone matching of least cost, where a
 * match costs its squared distance in tolerances (a boundary after punctuation has the wider one,
 * and is preferred), a pause left unmatched (a pause inside a word, or a boundary too far off) costs
 * 1, and a sentence end left without a pause a little. Pairs of [pause index, boundary index].
 */
export function matchPauses(
  pauses: number[],
  boundaries: { at: number; kind: 0 | 1 | 2 }[],
  matching: PauseMatching,
): [number, number][] {
  const K = pauses.length;
  const M = boundaries.length;
  const KIND_COST = [0.3, 0.1, 0];
  const matchCost = (k: number, b: number) => {
    const { at, kind } = boundaries[b]!;
    const tolerance = kind > 0 ? matching.punctuationTolerance : matching.tolerance;
    const d = Math.abs(at - pauses[k]!) / tolerance;
    return d > 2 ? Infinity : d * d + KIND_COST[kind]!;
  };
  const cost = Array.from({ length: K + 1 }, () => new Float64Array(M + 1).fill(Infinity));
  const move = Array.from({ length: K + 1 }, () => new Uint8Array(M + 1));
  cost[0]![0] = 0;
  for (let k = 0; k <= K; k++) {
    for (let b = 0; b <= M; b++) {
      const here = cost[k]![b]!;
      if (here === Infinity) continue;
      const relax = (k2: number, b2: number, c: number, m: number) => {
        if (c < cost[k2]![b2]!) {
          cost[k2]![b2] = c;
          move[k2]![b2] = m;
        }
      };
      if (k < K) relax(k + 1, b, here + 1, 1);
      if (b < M) relax(k, b + 1, here + (boundaries[b]!.kind === 2 ? 0.3 : 0), 2);
      if (k < K && b < M) relax(k + 1, b + 1, here + matchCost(k, b), 3);
    }
  }
  const pairs: [number, number][] = [];
  for (let k = K, b = M; k > 0 || b > 0;) {
    const m = move[k]![b]!;
    if (m === 3) pairs.push([k - 1, b - 1]);
    if (m !== 2) k--;
    if (m !== 1) b--;
  }
  return pairs.reverse();
}

/**
 * Lays tokens onto real audio. `spans` are the spoken tokens' positions on a speech-only timeline
 * of length `sourceLength` (measured on another rendering, or proportional estimates); null marks a
 * silent token. `pauses` are the silences measured in the real audio (leading and trailing included).
 */
export function placeWords(
  tokens: string[],
  spans: (Span | null)[],
  sourceLength: number,
  audio: { seconds: number; pauses: Span[] },
  matching: PauseMatching,
): Word[] {
  const D = audio.seconds;
  const pauses = audio.pauses
    .map((p) => ({ start: Math.max(0, p.start), end: Math.min(D, p.end) }))
    .filter((p) => p.end > p.start);
  const pausedTotal = pauses.reduce((a, p) => a + (p.end - p.start), 0);
  const La = Math.max(0, D - pausedTotal);
  // Each pause's position on the real audio's speech-only timeline.
  const sigma: number[] = [];
  let removed = 0;
  for (const p of pauses) {
    sigma.push(p.start - removed);
    removed += p.end - p.start;
  }
  const scale = sourceLength > 0 ? La / sourceLength : 0;
  const spoken = spans
    .map((s, i) => (s ? { i, start: s.start * scale, end: s.end * scale } : null))
    .filter((s) => s !== null);

  // Boundaries between consecutive spoken tokens, and what punctuation (or silent token) sits there.
  const boundaries = spoken.slice(0, -1).map((a, b) => {
    const c = spoken[b + 1]!;
    let kind = boundaryKind(tokens[a.i]!);
    for (let t = a.i + 1; t < c.i; t++) kind = Math.max(kind, boundaryKind(tokens[t]!), 1) as 0 | 1 | 2;
    return { at: (a.end + c.start) / 2, kind };
  });
  const internal = sigma.flatMap((s, k) => (s > 0 && s < La ? [k] : []));
  const anchors: { q: number; sigma: number }[] = [{ q: 0, sigma: 0 }];
  for (const [k, b] of matchPauses(
    internal.map((k) => sigma[k]!),
    boundaries,
    matching,
  )) {
    const q = boundaries[b]!.at;
    const s = sigma[internal[k]!]!;
    const last = anchors[anchors.length - 1]!;
    if (q <= last.q || s <= last.sigma) continue;
    anchors.push({ q, sigma: s });
    spoken[b]!.end = q;
    spoken[b + 1]!.start = q;
  }
  anchors.push({ q: La, sigma: La });
  const warp = (q: number): number => {
    for (let a = 1; a < anchors.length; a++) {
      const lo = anchors[a - 1]!;
      const hi = anchors[a]!;
      if (q === lo.q) return lo.sigma;
      if (q === hi.q) return hi.sigma;
      if (q < hi.q || a === anchors.length - 1)
        return hi.q > lo.q ? lo.sigma + ((q - lo.q) * (hi.sigma - lo.sigma)) / (hi.q - lo.q) : lo.sigma;
    }
    return q;
  };
  // Back to real time: a start moves past a pause that sits exactly at it, an end does not.
  const toTime = (q: number, side: 'start' | 'end') => {
    let t = q;
    for (let k = 0; k < pauses.length; k++)
      if (sigma[k]! < q || (side === 'start' && sigma[k] === q)) t += pauses[k]!.end - pauses[k]!.start;
    return t;
  };

  const timed = new Map<number, { start: number; end: number }>();
  for (const s of spoken) timed.set(s.i, { start: toTime(warp(s.start), 'start'), end: toTime(warp(s.end), 'end') });
  const round = (x: number) => Math.min(D, Math.max(0, Math.round(x * 1000) / 1000));
  const words: Word[] = [];
  let prevEnd = 0;
  for (let i = 0; i < tokens.length; i++) {
    let t = timed.get(i);
    if (!t) {
      // A silent token stands in the pause between its neighbours.
      let after: number | undefined;
      for (let j = i + 1; j < tokens.length && after === undefined; j++) after = timed.get(j)?.start;
      const start = words.length ? prevEnd : (after ?? 0);
      t = { start, end: Math.max(start, after ?? start) };
    }
    const start = Math.max(prevEnd, round(t.start));
    const end = Math.max(start, round(t.end));
    words.push({ start, end, text: tokens[i]! });
    prevEnd = end;
  }
  return words;
}
