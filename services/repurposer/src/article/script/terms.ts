import { wordsOf } from '../text.ts';

// Words that say nothing about a topic: overlap on them is noise. English only: other languages
// still match on content words, they just keep their own stop words in.
const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can could did do does ' +
    'doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself ' +
    'just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than ' +
    'that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which ' +
    "while who whom why will with would you your yours yourself yourselves says said say new also one two it's"
  ).split(' '),
);

/** A crude stem: enough that "panels" meets "panel" and "cities" meets "city". */
export function stem(word: string): string {
  const w = word.replace(/['’]s$/u, '');
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 4 && /(?:ss|sh|ch|x|z)es$/u.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !/(?:ss|us|is)$/u.test(w)) return w.slice(0, -1);
  return w;
}

/** The distinct content-word stems of a text. */
export function contentTerms(text: string): Set<string> {
  const terms = new Set<string>();
  for (const w of wordsOf(text)) if (!STOP_WORDS.has(w)) terms.add(stem(w));
  return terms;
}
