import type { ExtractedArticle } from '../extract-article.ts';
import { countWords, normalizeWhitespace } from '../text.ts';
import { assignImages } from './assign-images.ts';
import { shortCaption } from './caption.ts';
import { groupEvenly } from './group-scenes.ts';
import { SCRIPT_LIMITS, sceneCeiling, wordBudget, type Scene, type ScriptOptions, type VideoScript } from './scene.ts';
import { endsLikeSentence, scoreSentences, type ScoredSentence } from './sentence-score.ts';
import { splitSentences } from './sentences.ts';

/** A scene lasts 6–8 s: long enough to read its caption, short enough to keep a short moving. */
const SECONDS_PER_SCENE = 7;
const MIN_SCENES = 3;
// Longer sentences are never picked: with the longest narrated title (150 chars) scene 1 still fits.
const MAX_SENTENCE_CHARS = 400;
const MAX_SPOKEN_TITLE_CHARS = 150;

/**
 * A script made of the article's own sentences: the best ones within the word budget (title
 * included), kept in article order, two at most per scene. The fallback when no LLM is configured or
 * it fails, so it must always produce a valid script from any extracted article, deterministically.
 */
export function writeExtractiveScript(article: ExtractedArticle, o: ScriptOptions): VideoScript {
  const budget = wordBudget(o);
  const maxScenes = sceneCeiling(o);
  const paragraphs = article.paragraphs.map(splitSentences);
  const title =
    clip(normalizeWhitespace(article.title), SCRIPT_LIMITS.titleMaxChars) ||
    shortCaption(paragraphs.flat()[0] ?? '') ||
    'Untitled';

  // The headline opens the video, unless it is too long to say (then it stays on the script only).
  const headline = normalizeWhitespace(article.title);
  const spoken =
    headline && headline.length <= MAX_SPOKEN_TITLE_CHARS && countWords(headline) <= budget / 2
      ? withStop(headline)
      : '';
  const spokenWords = countWords(spoken);

  const scored = scoreSentences(paragraphs, title).filter((s) => s.words > 0 && s.text.length <= MAX_SENTENCE_CHARS);
  // A leftover budget would otherwise be filled with datelines and subheadings.
  const sentences = scored.filter((s) => endsLikeSentence(s.text));
  const candidates = sentences.length > 0 ? sentences : scored;
  let chosen = pickSentences(candidates, budget - spokenWords, 2 * maxScenes);
  if (chosen.length === 0 && !spoken) chosen = [leadFragment(paragraphs, budget)];

  const narrate = (run: ScoredSentence[], first: boolean) =>
    [first ? spoken : '', ...run.map((s) => s.text)].filter(Boolean).join(' ');
  // Too few sentences fit for three scenes (short targets, long sentences): the title becomes a
  // scene of its own, a title card, rather than the video having one or two long shots.
  const titleCard = spoken !== '' && chosen.length < MIN_SCENES && chosen.length < maxScenes;
  const runs = titleCard
    ? [[], ...chosen.map((s) => [s])]
    : groupSentences(chosen, spokenWords, o.targetSeconds, maxScenes, narrate);
  const scenes: Scene[] = runs.map((run, i) => ({
    narration: narrate(run, i === 0),
    caption: shortCaption(i === 0 && spoken ? spoken : run[0]!.text),
    imageUrl: null,
  }));
  const lead = chosen[0]?.paragraphIndex ?? -1;
  assignImages(
    runs.map((run) => run[0]?.paragraphIndex ?? lead),
    article.images,
  ).forEach((url, i) => (scenes[i]!.imageUrl = url));
  return { title, language: article.lang ?? 'und', scenes, source: 'extractive' };
}

// Greedy by score (ties: earlier first), skipping what no longer fits, then back in article order.
function pickSentences(candidates: ScoredSentence[], budget: number, cap: number): ScoredSentence[] {
  const ranked = [...candidates].sort((a, b) => b.score - a.score || a.order - b.order);
  const chosen: ScoredSentence[] = [];
  const seen = new Set<string>();
  let left = budget;
  for (const s of ranked) {
    if (chosen.length >= cap) break;
    const key = s.text.toLowerCase();
    if (s.words > left || seen.has(key)) continue; // pull quotes repeat sentences verbatim
    chosen.push(s);
    seen.add(key);
    left -= s.words;
  }
  return chosen.sort((a, b) => a.order - b.order);
}

// Scenes of one or two sentences, about one per 7 s and at least three when there are three
// sentences; when long sentences cannot pair up within the narration limit, more scenes, and past
// the scene ceiling, fewer sentences (the weakest go first).
function groupSentences(
  picked: ScoredSentence[],
  titleWords: number,
  targetSeconds: number,
  maxScenes: number,
  narrate: (run: ScoredSentence[], first: boolean) => string,
): ScoredSentence[][] {
  const desired = Math.max(MIN_SCENES, Math.round(targetSeconds / SECONDS_PER_SCENE));
  const chosen = [...picked];
  while (chosen.length > 0) {
    const weights = chosen.map((s, i) => s.words + (i === 0 ? titleWords : 0));
    const fits = (from: number, to: number) =>
      narrate(chosen.slice(from, to), from === 0).length <= SCRIPT_LIMITS.narrationMaxChars;
    const upper = Math.min(chosen.length, maxScenes);
    for (let scenes = Math.min(Math.max(desired, Math.ceil(chosen.length / 2)), upper); scenes <= upper; scenes++) {
      const sizes = groupEvenly(weights, scenes, fits);
      if (!sizes) continue;
      let at = 0;
      return sizes.map((size) => chosen.slice(at, (at += size)));
    }
    const weakest = chosen.reduce(
      (w, s, i) => (s.score < chosen[w]!.score || (s.score === chosen[w]!.score && s.order > chosen[w]!.order) ? i : w),
      0,
    );
    chosen.splice(weakest, 1);
  }
  return [[]];
}

// Only when no whole sentence fits the budget (one huge sentence and no title): its first words.
function leadFragment(paragraphs: string[][], budget: number): ScoredSentence {
  const words = (paragraphs.flat()[0] ?? '').split(' ');
  const text = words.length > budget ? `${words.slice(0, budget).join(' ')}…` : words.join(' ');
  const cut = clip(text, MAX_SENTENCE_CHARS);
  return { text: cut, words: countWords(cut), paragraphIndex: 0, order: 0, score: 0 };
}

// The title is read as a sentence of its own, so the voice pauses before the story starts.
const withStop = (text: string) => (endsLikeSentence(text) ? text : `${text}.`);

/** `text` within `max` characters, cut at a space and ended with "…" when it was longer. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const space = text.lastIndexOf(' ', max - 1);
  return `${text.slice(0, space > 0 ? space : max - 1).replace(/[\s,;:.—–-]+$/u, '')}…`;
}
