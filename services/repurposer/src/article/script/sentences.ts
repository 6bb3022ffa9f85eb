// A "." after these does not end a sentence ("Dr. Marsh", "Acme Inc. said"). Lower-case, no dot.
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'mx',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'mt',
  'ft',
  'rev',
  'hon',
  'gen',
  'col',
  'lt',
  'sgt',
  'capt',
  'cpt',
  'gov',
  'sen',
  'rep',
  'pres',
  'inc',
  'ltd',
  'co',
  'corp',
  'bros',
  'dept',
  'univ',
  'assn',
  'est',
  'approx',
  'vs',
  'etc',
  'cf',
  'al',
  'ca',
  'viz',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
]);
// These are abbreviations only before a number ("No. 5", "p. 12"); elsewhere "no." ends a sentence.
const NUMBER_ABBREVIATIONS = new Set(['no', 'nos', 'nr', 'p', 'pp', 'vol', 'fig', 'figs', 'art', 'ch', 'sec', 'op']);

// Terminal punctuation, closing quotes or brackets, space, then what may open a sentence: an optional
// opening quote or bracket and an upper-case letter or a digit. Decimals ("3.5") have no space after
// the dot, and "he said." before a lower-case word is not a break either.
const BOUNDARY = /([.!?…]+)(["'”’»)\]]*)\s+(?=["'“‘«([¿¡]*[\p{Lu}\p{Lt}\p{N}])/gu;
// Scripts without case or spaces (Chinese, Japanese) end sentences with full-width marks.
const FULL_WIDTH_BOUNDARY = /([。！？]+[」』”’）]*)/u;

/** Splits a paragraph into sentences, keeping their punctuation; whitespace is assumed normalised. */
export function splitSentences(paragraph: string): string[] {
  const out: string[] = [];
  // split() with a capturing group alternates text and the full-width marks that ended it.
  const parts = paragraph.split(FULL_WIDTH_BOUNDARY);
  for (let i = 0; i < parts.length; i += 2) {
    const pieces = splitCased(parts[i]!);
    pieces[pieces.length - 1] = pieces[pieces.length - 1]! + (parts[i + 1] ?? '');
    out.push(...pieces);
  }
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function splitCased(text: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    const end = m.index + m[1]!.length + m[2]!.length;
    if (m[1] === '.' && !m[2] && isAbbreviation(text.slice(start, m.index), text.slice(m.index + m[0].length)))
      continue;
    sentences.push(text.slice(start, end));
    start = m.index + m[0].length;
  }
  sentences.push(text.slice(start));
  return sentences;
}

// Whether the dot ending `before` belongs to the word before it rather than ending the sentence.
function isAbbreviation(before: string, after: string): boolean {
  const word = /(\S+)$/.exec(before)?.[1]?.replace(/^["'“‘«([]+/u, '') ?? '';
  const lower = word.toLowerCase();
  if (ABBREVIATIONS.has(lower)) return true;
  if (NUMBER_ABBREVIATIONS.has(lower) && /^\d/.test(after)) return true;
  // An initial ("J. K. Rowling") or a dotted abbreviation ("e.g", "U.S", "a.m").
  return /^\p{Lu}$/u.test(word) || /^(?:\p{L}\.)+\p{L}$/u.test(word);
}
