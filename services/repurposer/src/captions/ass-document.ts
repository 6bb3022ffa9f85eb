import { DEFAULT_FONT_FAMILY, type RenderOptions } from '@reelforge/contracts';
import type { Cue, Word } from './cue.ts';

type CaptionOptions = NonNullable<RenderOptions['captions']>;

/** How captions look, resolved to output pixels. Colours are `#RRGGBB`. */
export interface CaptionStyle {
  fontFamily: string;
  fontSize: number;
  color: string;
  outlineColor: string;
  outlineWidth: number;
  bold: boolean;
  position: 'top' | 'middle' | 'bottom';
  maxCharsPerLine: number;
  highlightColor: string;
}

// Sizes in the options are pixels at a 1080-wide output, so a style looks the same at any width.
const REFERENCE_WIDTH = 1080;
// Vertical lift from the frame's edge: clip platforms draw their own UI (captions, buttons) over
// the bottom fifth and the top tenth of a short.
const MARGIN_BOTTOM = 0.2;
const MARGIN_TOP = 0.1;
const MARGIN_SIDE = 0.05;
const MAX_LINES = 2;
/** An emphasised cue (centred, the only thing on a plain background) is this much larger. */
const EMPHASIS_SCALE = 1.4;

/** Caption options filled in with defaults that look right on a short: bold white on a black outline. */
export function resolveCaptionStyle(
  options: CaptionOptions | undefined,
  output: { width: number; height: number },
): CaptionStyle {
  const scale = output.width / REFERENCE_WIDTH;
  const font = options?.font ?? {};
  return {
    fontFamily: font.family ?? DEFAULT_FONT_FAMILY,
    fontSize: Math.max(1, Math.round((font.size ?? 64) * scale)),
    color: font.color ?? '#FFFFFF',
    outlineColor: font.outlineColor ?? '#000000',
    outlineWidth: Math.round((font.outlineWidth ?? 4) * scale * 10) / 10,
    bold: font.bold ?? true,
    position: options?.position ?? 'bottom',
    maxCharsPerLine: options?.maxCharsPerLine ?? 28,
    highlightColor: options?.highlightColor ?? '#FFE000',
  };
}

/** `#RRGGBB` → ASS `&HAABBGGRR` (alpha 00 = opaque): ASS stores colours blue first. */
export function assColor(hex: string): string {
  return `&H00${bgr(hex)}`;
}

function bgr(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not an #RRGGBB colour: ${hex}`);
  return `${m[3]}${m[2]}${m[1]}`.toUpperCase();
}

/** Seconds → ASS `H:MM:SS.cc`. */
export function assTime(seconds: number): string {
  const cs = Math.max(0, Math.round(seconds * 100));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(cs / 360_000)}:${pad(Math.floor(cs / 6000) % 60)}:${pad(Math.floor(cs / 100) % 60)}.${pad(cs % 100)}`;
}

/**
 * Makes user text inert: `{` `}` become libass's literal-brace escapes, and a word joiner (U+2060,
 * invisible) after each `\` stops `\N`, `\h` or `\{` from being read as escapes. Control
 * characters go: a newline would end the Dialogue line.
 */
export function escapeAssText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .replace(/\\/g, '\\\u2060')
      .replace(/[{}]/g, (b) => `\\${b}`)
  );
}

/** Greedy word wrap: line breaks as word indices, each line at most `max` characters when it can be. */
function wrap(words: string[], max: number): number[][] {
  const lines: number[][] = [];
  let line: number[] = [];
  let length = 0;
  words.forEach((w, i) => {
    if (line.length > 0 && length + 1 + w.length > max) {
      lines.push(line);
      line = [];
      length = 0;
    }
    length += (line.length > 0 ? 1 : 0) + w.length;
    line.push(i);
  });
  if (line.length > 0) lines.push(line);
  return lines;
}

const width = (words: string[], from: number, to: number) =>
  words.slice(from, to).reduce((n, w) => n + w.length, 0) + Math.max(0, to - from - 1);

/**
 * Screens of at most two lines (word indices per line). Each two-line screen is re-split where its
 * lines come out most even: `long first line / one word` reads badly.
 */
function screens(words: string[], max: number): number[][][] {
  const lines = wrap(words, max);
  const out: number[][][] = [];
  for (let i = 0; i < lines.length; i += MAX_LINES) {
    const group = lines.slice(i, i + MAX_LINES);
    if (group.length === 2) {
      const from = group[0]![0]!;
      const to = group[1]![group[1]!.length - 1]! + 1;
      let best = group[1]![0]!;
      for (let k = from + 1; k < to; k++) {
        const worst = Math.max(width(words, from, k), width(words, k, to));
        if (worst <= max && worst < Math.max(width(words, from, best), width(words, best, to))) best = k;
      }
      const range = (a: number, b: number) => Array.from({ length: b - a }, (_, j) => a + j);
      out.push([range(from, best), range(best, to)]);
    } else {
      out.push(group);
    }
  }
  return out;
}

/** Words longer than a line are cut into line-sized pieces (WrapStyle 2 never breaks them itself). */
function splitLongWords(text: string, max: number): string[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((w) => {
      // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are what is counted here
      const chars = [...w];
      if (chars.length <= max) return [w];
      const pieces: string[] = [];
      for (let i = 0; i < chars.length; i += max) pieces.push(chars.slice(i, i + max).join(''));
      return pieces;
    });
}

interface Event {
  start: number;
  end: number;
  text: string;
}

/** A cue without word timing: one event per screen, the cue's time shared by characters. */
function plainEvents(cue: Cue, style: CaptionStyle): Event[] {
  const words = splitLongWords(cue.text, style.maxCharsPerLine);
  const pages = screens(words, style.maxCharsPerLine);
  const sizes = pages.map((p) => p.flat().reduce((n, i) => n + words[i]!.length, 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  let at = cue.start;
  return pages.map((page, i) => {
    const start = at;
    at = i === pages.length - 1 ? cue.end : at + ((cue.end - cue.start) * sizes[i]!) / total;
    return {
      start,
      end: at,
      text: page.map((line) => line.map((w) => escapeAssText(words[w]!)).join(' ')).join('\\N'),
    };
  });
}

/**
 * A cue with word timing: for each screen, one event per word, showing the whole screen with that
 * word in the highlight colour. A word's event lasts until the next word starts, so the text never
 * blinks in the gaps between words.
 */
function highlightEvents(cue: Cue, words: Word[], style: CaptionStyle): Event[] {
  const texts = words.map((w) => w.text);
  const highlight = `{\\c&H${bgr(style.highlightColor)}&}`;
  // Back to the caption colour (not {\r}, which would also drop a cue's size and placement).
  const normal = `{\\c&H${bgr(style.color)}&}`;
  // Monotonic starts inside the cue: a transcriber's out-of-order word must not make events overlap.
  const starts: number[] = [];
  words.forEach((w, i) => starts.push(i === 0 ? cue.start : Math.min(cue.end, Math.max(starts[i - 1]!, w.start))));
  const events: Event[] = [];
  for (const page of screens(texts, style.maxCharsPerLine)) {
    const first = page[0]![0]!;
    const last = page[page.length - 1]![page[page.length - 1]!.length - 1]!;
    for (let k = first; k <= last; k++) {
      const text = page
        .map((line) =>
          line
            .map((w) => (w === k ? `${highlight}${escapeAssText(texts[w]!)}${normal}` : escapeAssText(texts[w]!)))
            .join(' '),
        )
        .join('\\N');
      events.push({ start: starts[k]!, end: k + 1 < words.length ? starts[k + 1]! : cue.end, text });
    }
  }
  return events;
}

/**
 * A complete ASS subtitle file burning `cues` (clip time) into a width×height output with libass
 * (ffmpeg's `ass` filter). The script's resolution is the output's, so sizes are pixels. Lines are
 * wrapped here (WrapStyle 2: libass adds no breaks of its own) at word boundaries, at most two per
 * screen; a longer cue becomes consecutive screens. Overlapping cues are cut where the next one
 * starts, so captions never stack (parts of a clip overlap during a transition).
 */
export function buildAssDocument(cues: Cue[], style: CaptionStyle, output: { width: number; height: number }): string {
  const alignment = { bottom: 2, middle: 5, top: 8 }[style.position];
  const marginV = Math.round(output.height * { bottom: MARGIN_BOTTOM, middle: 0, top: MARGIN_TOP }[style.position]);
  const marginSide = Math.round(output.width * MARGIN_SIDE);
  const font = style.fontFamily.replace(/[,\r\n]/g, ' ');
  const lines = [
    '[Script Info]',
    '; Reelforge captions',
    'ScriptType: v4.00+',
    `PlayResX: ${output.width}`,
    `PlayResY: ${output.height}`,
    'WrapStyle: 2',
    'ScaledBorderAndShadow: yes',
    'YCbCr Matrix: None',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    `Style: Caption,${font},${style.fontSize},${assColor(style.color)},${assColor(style.highlightColor)},${assColor(style.outlineColor)},&H00000000,${style.bold ? -1 : 0},0,0,0,100,100,0,0,1,${style.outlineWidth},0,${alignment},${marginSide},${marginSide},${marginV},1`,
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
  ];
  const emphasis = `{\\an5\\fs${Math.round(style.fontSize * EMPHASIS_SCALE)}}`;
  const sorted = cues
    .filter((c) => c.end > c.start && c.text.trim())
    .sort((a, b) => a.start - b.start || a.end - b.end);
  sorted.forEach((cue, i) => {
    const next = sorted[i + 1];
    const end = next && next.start > cue.start ? Math.min(cue.end, next.start) : cue.end;
    const trimmed = { ...cue, end };
    const words = (cue.words ?? [])
      .map((w) => ({ ...w, text: w.text.replace(/\s+/g, ' ').trim() }))
      .filter((w) => w.text);
    // Larger letters: fewer of them fit on a line.
    const wrap = cue.emphasis
      ? { ...style, maxCharsPerLine: Math.max(8, Math.floor(style.maxCharsPerLine / EMPHASIS_SCALE)) }
      : style;
    const events = words.length > 0 ? highlightEvents(trimmed, words, wrap) : plainEvents(trimmed, wrap);
    for (const e of events) {
      // Times are centiseconds in ASS: an event that rounds to nothing is not written.
      if (Math.round(e.end * 100) > Math.round(e.start * 100))
        lines.push(
          `Dialogue: 0,${assTime(e.start)},${assTime(e.end)},Caption,,0,0,0,,${cue.emphasis ? emphasis : ''}${e.text}`,
        );
    }
  });
  return `${lines.join('\n')}\n`;
}
