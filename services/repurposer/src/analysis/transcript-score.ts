import type { Cue } from '../captions/cue.ts';
import { lowerBound } from './segment-score.ts';

/** One spoken token in source time (a transcript word, or a cue's text spread over the cue). */
interface Token {
  mid: number;
  text: string;
}

/** One sentence of the transcript in source time. */
export interface Sentence {
  start: number;
  end: number;
  text: string;
}

/** What a stretch's transcript says about it, the raw material of its text score and reason. */
export interface TranscriptStats {
  /** Spoken tokens inside the stretch (0: nothing is said, and the text scores 0). */
  tokens: number;
  /** Does not start (end) in the middle of a sentence; null when the transcript has no punctuation to tell. */
  cleanStart: boolean | null;
  cleanEnd: boolean | null;
  /** The first sentence inside the stretch, when it opens like a hook ("How to…", "3 reasons…"). */
  hook: string | null;
  /** Sentences ending in `?` wholly inside the stretch. */
  questions: number;
  /** Keyword share of the stretch's content words over the transcript's: 1 is average, 2 and up is full marks. */
  keywordRatio: number;
}

/** A sentence that straddles a boundary by more than this is cut by it; less is timing noise. */
const SENTENCE_SLACK = 0.35;
/** Two tokens further apart than this end a sentence even without punctuation (unpunctuated captions). */
const SENTENCE_GAP = 2;
const MAX_KEYWORDS = 12;
const SENTENCE_END = /[.!?…]["'”’»)\]]*$/u;
const QUESTION_END = /\?["'”’»)\]]*$/u;

// Function words: never keywords. Short on purpose; words under 3 letters are dropped anyway.
const STOPWORDS = new Set(
  (
    'the and for are but not you all any can had her was one our out has him his how its may new now old see two way who ' +
    'did get got let say she too use that with have this will your from they know want been good much some time very when ' +
    'come here just like long make many more only over such take than them well were what then there these those would ' +
    'could should about after again also because before being between both each into most other same their which while ' +
    'where whom why yes yeah okay really actually going gonna thing things stuff something anything everything kind sort ' +
    'said says doing done does dont don’t it’s i’m that’s we’re they’re you’re i’ve we’ve can’t won’t isn’t didn’t ' +
    "it's i'm that's we're they're you're i've we've can't won't isn't didn't there's here's let's right mean think"
  ).split(/\s+/u),
);

/**
 * First sentences that make people keep watching: a number up front ("3 ways…", "90% of…"), a
 * how-to or why, a promised secret or mistake, a direct challenge, or an imperative opener.
 */
const HOOKS: { name: string; pattern: RegExp }[] = [
  {
    name: 'opens with a number',
    pattern: /^(?:the\s+)?(?:\p{Nd}[\p{Nd},.%]*|one|two|three|four|five|six|seven|eight|nine|ten)\b/iu,
  },
  { name: 'how-to', pattern: /^(?:so\s+|here'?s\s+|this\s+is\s+)?how\s+(?:to|do|does|did|can|i|we|you)\b/iu },
  { name: 'asks why', pattern: /^(?:so\s+)?why\b/iu },
  { name: 'what-if', pattern: /^what\s+(?:if|happens|would)\b/iu },
  {
    name: 'promises a reveal',
    pattern:
      /\b(?:the\s+(?:secret|truth|trick|key|problem|mistake|reason|biggest|best|worst|number\s+one)|nobody\s+(?:tells|talks)|most\s+people|you\s+won'?t\s+believe)\b/iu,
  },
  {
    name: 'imperative opener',
    pattern:
      /^(?:stop|never|don'?t|listen|imagine|look|watch|remember|think\s+about|let\s+me\s+(?:tell|show)|try|forget|here'?s)\b/iu,
  },
];

/** The name of the hook the sentence opens with, or null. */
export function hookKind(sentence: string): string | null {
  const text = sentence.replace(/^[\s"'“‘«(-]+/u, '');
  return HOOKS.find((h) => h.pattern.test(text))?.name ?? null;
}

const normalise = (token: string) =>
  token
    .toLowerCase()
    .replace(/’/gu, "'")
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/** A content word: long enough, not a function word, not a bare number. */
const contentTerm = (token: string): string | null => {
  const t = normalise(token);
  return t.length >= 3 && !STOPWORDS.has(t) && !/^\p{N}+$/u.test(t) ? t : null;
};

function tokensOf(cues: readonly Cue[]): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  for (const cue of [...cues].sort((a, b) => a.start - b.start)) {
    if (cue.words && cue.words.length > 0) {
      for (const w of cue.words) if (w.text.trim()) out.push({ start: w.start, end: w.end, text: w.text.trim() });
      continue;
    }
    // No word timing: the cue's time shared by characters, as the caption builder does.
    const words = cue.text.split(/\s+/u).filter(Boolean);
    const total = words.reduce((n, w) => n + w.length, 0);
    let at = cue.start;
    for (const w of words) {
      const end = at + ((cue.end - cue.start) * w.length) / Math.max(1, total);
      out.push({ start: at, end, text: w });
      at = end;
    }
  }
  return out;
}

/** The transcript's sentences: ended by `.`, `!`, `?` or `…`, or by a gap of 2 s in unpunctuated speech. */
export function transcriptSentences(cues: readonly Cue[]): Sentence[] {
  const sentences: Sentence[] = [];
  let current: { start: number; end: number; words: string[] } | null = null;
  const flush = () => {
    if (current) sentences.push({ start: current.start, end: current.end, text: current.words.join(' ') });
    current = null;
  };
  for (const t of tokensOf(cues)) {
    if (current && t.start - current.end > SENTENCE_GAP) flush();
    current ??= { start: t.start, end: t.end, words: [] };
    current.words.push(t.text);
    current.end = Math.max(current.end, t.end);
    if (SENTENCE_END.test(t.text)) flush();
  }
  flush();
  return sentences;
}

export interface TranscriptIndex {
  /** O(log n) per stretch: the chooser scores tens of thousands of candidates. */
  stats(start: number, end: number): TranscriptStats;
  /** The stretch's words as one text (for a reader or an LLM); at most `maxChars`. */
  text(start: number, end: number, maxChars?: number): string;
  /** The transcript's keywords found in the stretch, most frequent first. */
  keywordsIn(start: number, end: number): string[];
}

/**
 * Indexes a transcript for segment scoring: its sentences (for completeness, hooks, questions), its
 * keywords (the content words the whole transcript repeats most, at least twice) and prefix sums
 * over its tokens, so each candidate costs a few binary searches.
 */
export function indexTranscript(cues: readonly Cue[]): TranscriptIndex {
  const sentences = transcriptSentences(cues);
  const starts = Float64Array.from(sentences, (s) => s.start);
  const ends = Float64Array.from(sentences, (s) => s.end);
  const punctuated = sentences.some((s) => SENTENCE_END.test(s.text));
  const questionsBefore = new Int32Array(sentences.length + 1);
  sentences.forEach((s, i) => (questionsBefore[i + 1] = questionsBefore[i]! + (QUESTION_END.test(s.text) ? 1 : 0)));

  const tokens: Token[] = tokensOf(cues)
    .map((t) => ({ mid: (t.start + t.end) / 2, text: t.text }))
    .sort((a, b) => a.mid - b.mid);
  const mids = Float64Array.from(tokens, (t) => t.mid);
  const counts = new Map<string, number>();
  for (const t of tokens) {
    const term = contentTerm(t.text);
    if (term) counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  const ranked = [...counts.entries()]
    .filter(([, n]) => n >= 2)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_KEYWORDS);
  const keywords = new Map(ranked);
  const contentBefore = new Int32Array(tokens.length + 1);
  const hitsBefore = new Int32Array(tokens.length + 1);
  tokens.forEach((t, i) => {
    const term = contentTerm(t.text);
    contentBefore[i + 1] = contentBefore[i]! + (term ? 1 : 0);
    hitsBefore[i + 1] = hitsBefore[i]! + (term && keywords.has(term) ? 1 : 0);
  });
  const totalContent = contentBefore[tokens.length]!;
  const overall = totalContent > 0 ? hitsBefore[tokens.length]! / totalContent : 0;

  const tokenRange = (a: number, b: number) => [lowerBound(mids, a), lowerBound(mids, b)] as const;
  // A boundary is clean when no sentence runs across it (by more than the slack on both sides).
  const cleanAt = (t: number) => {
    const k = lowerBound(starts, t - SENTENCE_SLACK) - 1;
    return k < 0 || ends[k]! <= t + SENTENCE_SLACK;
  };

  return {
    stats(start, end) {
      const [from, to] = tokenRange(start, end);
      const first = lowerBound(starts, start - SENTENCE_SLACK);
      const last = lowerBound(ends, end + SENTENCE_SLACK, true);
      const opening = first < sentences.length && starts[first]! < end ? sentences[first]! : null;
      const content = contentBefore[to]! - contentBefore[from]!;
      const hits = hitsBefore[to]! - hitsBefore[from]!;
      return {
        tokens: to - from,
        cleanStart: punctuated ? cleanAt(start) : null,
        cleanEnd: punctuated ? cleanAt(end) : null,
        hook: opening && hookKind(opening.text) ? opening.text : null,
        questions: last > first ? questionsBefore[last]! - questionsBefore[first]! : 0,
        keywordRatio: content > 0 && overall > 0 ? hits / content / overall : 0,
      };
    },
    text(start, end, maxChars = 2000) {
      const [from, to] = tokenRange(start, end);
      let out = '';
      for (let i = from; i < to && out.length < maxChars; i++) out += (out ? ' ' : '') + tokens[i]!.text;
      return out.length > maxChars ? `${out.slice(0, maxChars - 1)}…` : out;
    },
    keywordsIn(start, end) {
      const [from, to] = tokenRange(start, end);
      const found = new Set<string>();
      for (let i = from; i < to; i++) {
        const term = contentTerm(tokens[i]!.text);
        if (term && keywords.has(term)) found.add(term);
      }
      return [...found].sort((a, b) => keywords.get(b)! - keywords.get(a)! || a.localeCompare(b));
    },
  };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * 0..1, how well the words alone make a clip: complete sentences (35 %: a clip that starts or stops
 * mid-sentence feels cut), a hook in the first sentence (25 %), keyword density (25 %: the terms
 * the whole source keeps coming back to, twice the source's average is full marks), a question
 * (15 %). Nothing said: 0. Unpunctuated transcripts cannot tell sentences: half marks there.
 */
export function transcriptScore(s: TranscriptStats): number {
  if (s.tokens === 0) return 0;
  const side = (clean: boolean | null) => (clean === null ? 0.25 : clean ? 0.5 : 0);
  const complete = side(s.cleanStart) + side(s.cleanEnd);
  return (
    0.35 * complete + 0.25 * (s.hook ? 1 : 0) + 0.25 * clamp01(s.keywordRatio / 2) + 0.15 * (s.questions > 0 ? 1 : 0)
  );
}

/** How much the transcript weighs against the signals when there is one. */
export const TRANSCRIPT_WEIGHT = 0.4;

const quote = (text: string) => `"${text.length > 48 ? `${text.slice(0, 47)}…` : text}"`;

/** A short text a person can check against the clip, e.g. `complete sentences, hook (how-to): "How to…", 1 question, keywords: pricing`. */
export function transcriptReason(s: TranscriptStats, keywords: string[]): string {
  if (s.tokens === 0) return 'nothing said in the transcript';
  const parts: string[] = [];
  if (s.cleanStart === null) parts.push('unpunctuated transcript');
  else if (s.cleanStart && s.cleanEnd) parts.push('complete sentences');
  else if (!s.cleanStart && !s.cleanEnd) parts.push('starts and ends mid-sentence');
  else parts.push(s.cleanStart ? 'ends mid-sentence' : 'starts mid-sentence');
  if (s.hook) parts.push(`hook (${hookKind(s.hook)}): ${quote(s.hook)}`);
  if (s.questions > 0) parts.push(s.questions === 1 ? '1 question' : `${s.questions} questions`);
  if (keywords.length > 0)
    parts.push(`keywords ${s.keywordRatio.toFixed(1)}× the source's density: ${keywords.slice(0, 4).join(', ')}`);
  return parts.join(', ');
}
