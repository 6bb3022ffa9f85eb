import type { Cue, Word } from './cue.ts';

/** The text is neither SRT nor WebVTT: not one cue could be read from it. */
export class CaptionsFormatError extends Error {
  override name = 'CaptionsFormatError';
}

// `HH:MM:SS.mmm`, `MM:SS.mmm` (VTT) or `HH:MM:SS,mmm` (SRT). Lenient on purpose: real files mix
// the separators and sometimes drop digits of the fraction.
const TIMESTAMP = /^(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})$/;
const TIMING = /^\s*(\S+)\s+-->\s+(\S+)(?:\s.*)?$/;
// VTT inline timestamp: the time at which the text after it is spoken.
const INLINE_TIMESTAMP = /<((?:\d+:)?\d{2}:\d{2}\.\d{3})>/;
// Markup, not text: VTT/SRT tags (`<i>`, `</c>`, `<c.x>`, `<v Bob>`, `<font ...>`, timestamps) and
// ASS override blocks some SRT files carry (`{\an8}`). `a < b` stays: a tag starts with a letter.
const TAG = /<\/?(?:[A-Za-z][^<>]*|\d[\d:.]*)>|\{\\[^}]*\}/g;
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  lrm: '',
  rlm: '',
};

function seconds(stamp: string): number | null {
  const m = TIMESTAMP.exec(stamp);
  if (!m) return null;
  const fraction = Number(`0.${m[4]}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + fraction;
}

function clean(text: string): string {
  return text
    .replace(TAG, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** Splits `[from, to)` among `texts` in proportion to their length (longer words take longer to say). */
function spread(texts: string[], from: number, to: number): Word[] {
  const total = texts.reduce((n, t) => n + t.length, 0);
  let at = from;
  return texts.map((text) => {
    const start = at;
    at += ((to - from) * text.length) / total;
    return { start, end: at, text };
  });
}

/**
 * Per-word timing from VTT inline timestamps, or undefined when the cue has none. The text before
 * the first timestamp starts with the cue; each timestamp starts the text after it.
 */
function inlineWords(raw: string, start: number, end: number): Word[] | undefined {
  const pieces = raw.split(INLINE_TIMESTAMP);
  if (pieces.length < 2) return undefined;
  const words: Word[] = [];
  let at = start;
  let joinsPrevious = false;
  for (let i = 0; i < pieces.length; i += 2) {
    const stamp = i === 0 ? start : (seconds(pieces[i - 1] ?? '') ?? at);
    const from = Math.min(end, Math.max(at, stamp)); // monotonic and inside the cue
    const nextStamp = i + 1 < pieces.length ? (seconds(pieces[i + 1] ?? '') ?? end) : end;
    const to = Math.min(end, Math.max(from, nextStamp));
    at = from;
    const text = clean(pieces[i] ?? '');
    if (!text) continue;
    const spaced = /^\s/.test(pieces[i]!.replace(TAG, ''));
    const timed = spread(text.split(' '), from, to);
    // A timestamp inside a word (`Hel<…>lo`) continues that word rather than starting a new one.
    if (joinsPrevious && !spaced && words.length > 0) {
      const head = timed.shift()!;
      const last = words[words.length - 1]!;
      last.text += head.text;
      last.end = head.end;
    }
    words.push(...timed);
    joinsPrevious = !/\s$/.test(pieces[i]!.replace(TAG, ''));
  }
  return words.length > 0 ? words : undefined;
}

interface Block {
  line: number; // 1-based, for messages
  lines: string[];
}

function blocks(lines: string[]): Block[] {
  const out: Block[] = [];
  let current: Block | null = null;
  lines.forEach((l, i) => {
    if (l.trim() === '') current = null;
    else if (current) current.lines.push(l);
    else out.push((current = { line: i + 1, lines: [l] }));
  });
  return out;
}

const preview = (line: string) => JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);

/**
 * Reads SRT or WebVTT (told apart by the `WEBVTT` header) into cues sorted by start. Multi-line
 * text is joined with a space, markup is stripped, VTT inline timestamps become `words`. Cues
 * with no text or no duration are dropped; blocks that are not cues are skipped, so one damaged
 * cue does not lose the rest. Throws CaptionsFormatError when no cue at all can be read.
 */
export function parseCaptions(text: string): Cue[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const vtt = /^WEBVTT(?:[ \t].*)?$/.test(lines[0] ?? '');
  let list = blocks(lines);
  let headerOnly = false;
  if (vtt) {
    // The header runs to the first blank line; a cue glued to it (no blank line) is still a cue.
    const header = list.shift()!;
    const glued = header.lines.findIndex((l) => l.includes('-->'));
    if (glued > 0) list.unshift({ line: header.line + glued, lines: header.lines.slice(glued) });
    list = list.filter((b) => !/^(NOTE|STYLE|REGION)(?:\s|$)/.test(b.lines[0]!));
    headerOnly = list.length === 0;
  }

  const cues: Cue[] = [];
  let timed = 0;
  let problem: string | null = null;
  for (const block of list) {
    // A timing line, optionally preceded by an identifier (SRT's counter, VTT's cue id).
    const at = block.lines.slice(0, 2).findIndex((l) => TIMING.test(l));
    const m = at < 0 ? null : TIMING.exec(block.lines[at]!);
    const start = m ? seconds(m[1]!) : null;
    const end = m ? seconds(m[2]!) : null;
    if (start === null || end === null) {
      problem ??= m
        ? `line ${block.line + at}: bad timestamp in ${preview(block.lines[at]!)}`
        : `line ${block.line}: expected a timing line like "00:00:01,000 --> 00:00:02,500", got ${preview(block.lines[0]!)}`;
      continue;
    }
    timed++;
    const raw = block.lines.slice(at + 1).join(' ');
    const cueText = clean(raw);
    if (!cueText || end <= start) continue;
    const words = vtt ? inlineWords(raw, start, end) : undefined;
    cues.push(words ? { start, end, text: cueText, words } : { start, end, text: cueText });
  }

  if (timed === 0 && !headerOnly) {
    throw new CaptionsFormatError(`the captions are neither SRT nor WebVTT: ${problem ?? 'the file is empty'}`);
  }
  return cues.sort((a, b) => a.start - b.start || a.end - b.end);
}
