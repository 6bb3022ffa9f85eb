import { countWords } from '../text.ts';
import { contentTerms } from './terms.ts';

/** A sentence of the article, where it was, and how well it summarises. */
export interface ScoredSentence {
  text: string;
  words: number;
  paragraphIndex: number;
  /** Position among all the article's sentences: the order a script keeps. */
  order: number;
  score: number;
}

const SHORT_WORDS = 6;
const LONG_WORDS = 40;

/**
 * Scores sentences the way a news editor writes a summary: the lead says the most, each paragraph's
 * first sentence states its point, sentences sharing the headline's words are on topic, and
 * fragments (datelines, headings, "Why?") or run-on sentences narrate badly.
 */
export function scoreSentences(paragraphs: string[][], title: string): ScoredSentence[] {
  const titleTerms = contentTerms(title);
  const total = Math.max(1, paragraphs.length);
  const out: ScoredSentence[] = [];
  // The lead is the first paragraph that has a real sentence: pages often open with a dateline.
  const lead = Math.max(
    0,
    paragraphs.findIndex((ss) => ss.some(isProperSentence)),
  );
  let order = 0;
  paragraphs.forEach((sentences, p) => {
    sentences.forEach((text, s) => {
      const words = countWords(text);
      let score = 1 - (0.5 * p) / total; // 1 at the top, fading to 0.5 at the end
      if (p === lead) score += s === 0 ? 1 : 0.4;
      else if (s === 0) score += 0.3;
      if (titleTerms.size > 0) {
        let shared = 0;
        for (const t of contentTerms(text)) if (titleTerms.has(t)) shared++;
        score += (1.5 * shared) / titleTerms.size;
      }
      if (words < SHORT_WORDS) score -= 1;
      else if (words > LONG_WORDS) score -= 0.5 + 0.02 * (words - LONG_WORDS);
      // No closing punctuation: a heading, a dateline or a caption rather than a sentence.
      if (!endsLikeSentence(text)) score -= 0.75;
      out.push({ text, words, paragraphIndex: p, order: order++, score });
    });
  });
  return out;
}

/** Whether a text ends as a sentence does: headings, datelines and captions do not. */
export const endsLikeSentence = (text: string) => /[.!?…。！？]["'”’»)\]]*$/u.test(text);
const isProperSentence = (text: string) => endsLikeSentence(text) && countWords(text) >= SHORT_WORDS;
