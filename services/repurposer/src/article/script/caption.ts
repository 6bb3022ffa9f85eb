import { SCRIPT_LIMITS } from './scene.ts';

const CAPTION_WORDS = 12;
// A cut caption should not end on a word that leads into the missing part ("…of the", "…and").
const DANGLING = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'but',
  'nor',
  'of',
  'to',
  'in',
  'on',
  'at',
  'by',
  'for',
  'with',
  'from',
  'as',
  'that',
  'which',
  'who',
  'is',
  'are',
  'was',
  'were',
  'will',
  'would',
  'its',
  'their',
  'his',
  'her',
  'our',
  'my',
  'your',
]);

/**
 * On-screen text for a sentence: the sentence itself when it is short (≤ 12 words), else its first
 * clause when that is a readable 3–12 words, else its first 12 words; a cut one ends in "…". Viewers
 * read captions at a glance, so a caption never exceeds 120 characters.
 */
export function shortCaption(sentence: string): string {
  const text = sentence.trim();
  const words = text.split(' ');
  if (words.length <= CAPTION_WORDS && text.length <= SCRIPT_LIMITS.captionMaxChars)
    return text.replace(/(?<![.])\.$/u, '');
  const clause = /^(.+?)[,;:—–]\s/u.exec(text)?.[1];
  const clauseWords = clause?.split(' ').length ?? 0;
  const cut =
    clause && clauseWords >= 4 && clauseWords <= CAPTION_WORDS ? clause.split(' ') : words.slice(0, CAPTION_WORDS);
  return ellipsize(cut);
}

function ellipsize(words: string[]): string {
  const kept = [...words];
  while (kept.length > 3 && DANGLING.has(bare(kept[kept.length - 1]!))) kept.pop();
  let out = kept.join(' ').replace(/[\s,;:.!?—–-]+$/u, '');
  // A handful of very long words (URLs, compounds): cut at the last space that fits.
  const room = SCRIPT_LIMITS.captionMaxChars - 1;
  if (out.length > room) {
    const space = out.lastIndexOf(' ', room);
    out = out.slice(0, space > 0 ? space : room);
  }
  return `${out}…`;
}

const bare = (word: string) => word.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
