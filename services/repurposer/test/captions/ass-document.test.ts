import { describe, expect, it } from 'vitest';
import {
  assColor,
  assTime,
  buildAssDocument,
  escapeAssText,
  resolveCaptionStyle,
  type CaptionStyle,
} from '../../src/captions/ass-document.ts';
import { filterPath } from '../../src/render/ffmpeg-command.ts';
import type { Cue } from '../../src/captions/cue.ts';

const PORTRAIT = { width: 1080, height: 1920 };
const STYLE = resolveCaptionStyle(undefined, PORTRAIT);

interface Dialogue {
  start: string;
  end: string;
  text: string;
}

function dialogues(doc: string): Dialogue[] {
  return doc
    .split('\n')
    .filter((l) => l.startsWith('Dialogue: '))
    .map((l) => {
      const [, start, end, style, , , , , , ...text] = l.slice('Dialogue: '.length).split(',');
      expect(style).toBe('Caption');
      return { start: start!, end: end!, text: text.join(',') };
    });
}

/** The text a viewer reads, with override blocks and escapes taken out. */
const visible = (text: string) => text.replace(/\{\\(?:c&H[0-9A-F]{6}&|r)\}/g, '').replace(/\\N/g, '\n');

describe('resolveCaptionStyle', () => {
  it('defaults to bold white DejaVu Sans on a black outline, yellow highlight, at the bottom', () => {
    expect(STYLE).toEqual({
      fontFamily: 'DejaVu Sans',
      fontSize: 64,
      color: '#FFFFFF',
      outlineColor: '#000000',
      outlineWidth: 4,
      bold: true,
      position: 'bottom',
      maxCharsPerLine: 28,
      highlightColor: '#FFE000',
    } satisfies CaptionStyle);
  });

  it('scales sizes with the output width and takes the options given', () => {
    const style = resolveCaptionStyle(
      {
        font: { family: 'Liberation Sans', size: 80, color: '#112233', outlineWidth: 3, bold: false },
        position: 'top',
        maxCharsPerLine: 20,
        highlightColor: '#00FF00',
      },
      { width: 540, height: 960 },
    );
    expect(style).toEqual({
      fontFamily: 'Liberation Sans',
      fontSize: 40,
      color: '#112233',
      outlineColor: '#000000',
      outlineWidth: 1.5,
      bold: false,
      position: 'top',
      maxCharsPerLine: 20,
      highlightColor: '#00FF00',
    });
    expect(resolveCaptionStyle({}, { width: 720, height: 1280 }).fontSize).toBe(43);
  });
});

describe('ASS primitives', () => {
  it('writes colours blue-green-red with an opaque alpha', () => {
    expect(assColor('#FFE000')).toBe('&H0000E0FF');
    expect(assColor('#112233')).toBe('&H00332211');
    expect(() => assColor('red')).toThrow(/#RRGGBB/);
  });

  it('writes times as H:MM:SS.cc', () => {
    expect(assTime(0)).toBe('0:00:00.00');
    expect(assTime(3723.456)).toBe('1:02:03.46');
    expect(assTime(59.999)).toBe('0:01:00.00');
  });

  it('escapes braces and backslashes so text cannot become tags', () => {
    expect(escapeAssText('{\\c&H0000FF&}red\\N')).toBe('\\{\\\u2060c&H0000FF&\\}red\\\u2060N');
    expect(escapeAssText('a\nb\tc')).toBe('a b c');
  });

  it('escapes a path for a filter option in a graph', () => {
    expect(filterPath('/tmp/a b/c.ass')).toBe('/tmp/a b/c.ass');
    expect(filterPath("/t/it's:x,y[1];z=w\\v.ass")).toBe("/t/it\\\\\\'s\\\\:x\\,y\\[1\\]\\;z\\\\=w\\\\\\\\v.ass");
  });
});

describe('buildAssDocument', () => {
  it('writes the script info, one style in BGR colours and lifted margins', () => {
    const style: CaptionStyle = { ...STYLE, color: '#112233', outlineColor: '#445566', highlightColor: '#778899' };
    const doc = buildAssDocument([{ start: 1, end: 2.5, text: 'Hello' }], style, PORTRAIT);
    expect(doc).toMatch(/^\[Script Info\]\n/);
    expect(doc).toContain('\nPlayResX: 1080\nPlayResY: 1920\nWrapStyle: 2\nScaledBorderAndShadow: yes\n');
    expect(doc).toContain('\n[V4+ Styles]\n');
    // Bottom-centre (2), 5 % side margins, lifted 20 % of 1920 = 384 px.
    expect(doc).toContain(
      '\nStyle: Caption,DejaVu Sans,64,&H00332211,&H00998877,&H00665544,&H00000000,-1,0,0,0,100,100,0,0,1,4,0,2,54,54,384,1\n',
    );
    expect(doc.match(/^Style: /gm)).toHaveLength(1);
    expect(doc).toContain(
      '\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n',
    );
    expect(dialogues(doc)).toEqual([{ start: '0:00:01.00', end: '0:00:02.50', text: 'Hello' }]);
  });

  it('puts top and middle captions where they belong', () => {
    expect(buildAssDocument([], { ...STYLE, position: 'top', bold: false }, PORTRAIT)).toMatch(
      /,0,0,0,0,100,100,0,0,1,4,0,8,54,54,192,1\n/,
    );
    expect(buildAssDocument([], { ...STYLE, position: 'middle' }, PORTRAIT)).toMatch(/,1,4,0,5,54,54,0,1\n/);
  });

  it('escapes cue text in Dialogue lines', () => {
    const [line] = dialogues(buildAssDocument([{ start: 0, end: 1, text: '{\\b1}bold\\Nnot' }], STYLE, PORTRAIT));
    expect(line?.text).toBe('\\{\\\u2060b1\\}bold\\\u2060Nnot');
    expect(line?.text).not.toMatch(/(^|[^\\])\{/);
  });

  it('wraps at word boundaries to at most two lines of maxCharsPerLine, splitting a long cue by characters', () => {
    const text = 'This is a rather long caption that will certainly need more than two lines on a phone screen to show';
    const lines = dialogues(
      buildAssDocument([{ start: 10, end: 20, text }], { ...STYLE, maxCharsPerLine: 20 }, PORTRAIT),
    );
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) {
      const rows = l.text.split('\\N');
      expect(rows.length).toBeLessThanOrEqual(2);
      for (const row of rows) expect(row.length).toBeLessThanOrEqual(20);
    }
    // Nothing lost or reordered, events back to back over the cue's time.
    expect(lines.map((l) => l.text.replace(/\\N/g, ' ')).join(' ')).toBe(text);
    expect(lines[0]?.start).toBe('0:00:10.00');
    expect(lines.at(-1)?.end).toBe('0:00:20.00');
    for (let i = 1; i < lines.length; i++) expect(lines[i]?.start).toBe(lines[i - 1]?.end);
  });

  it('divides a split cue in proportion to characters', () => {
    // At 10 a line: screen 1 "aaaa bbbb / cccc dddd" (16 letters), screen 2 "eeee ffff / gggg" (12): 4 s × 16/28 = 2.29 s.
    const lines = dialogues(
      buildAssDocument(
        [{ start: 0, end: 4, text: 'aaaa bbbb cccc dddd eeee ffff gggg' }],
        { ...STYLE, maxCharsPerLine: 10 },
        PORTRAIT,
      ),
    );
    expect(lines).toEqual([
      { start: '0:00:00.00', end: '0:00:02.29', text: 'aaaa bbbb\\Ncccc dddd' },
      { start: '0:00:02.29', end: '0:00:04.00', text: 'eeee ffff\\Ngggg' },
    ]);
  });

  it('evens out the two lines of a screen', () => {
    // Greedy would give "aaa bbb ccc" over a lone "d".
    const [line] = dialogues(
      buildAssDocument([{ start: 0, end: 1, text: 'aaa bbb ccc d' }], { ...STYLE, maxCharsPerLine: 12 }, PORTRAIT),
    );
    expect(line?.text).toBe('aaa bbb\\Nccc d');
  });

  it('cuts a word longer than a line into line-sized pieces', () => {
    const [line] = dialogues(
      buildAssDocument(
        [{ start: 0, end: 1, text: 'abcdefghijklmnopqrstuvwxyz' }],
        { ...STYLE, maxCharsPerLine: 10 },
        PORTRAIT,
      ),
    );
    expect(line?.text).toBe('abcdefghij\\Nklmnopqrst');
  });

  it('highlights each word in turn when the cue has word timing', () => {
    const cue: Cue = {
      start: 1,
      end: 3,
      text: 'one two three',
      words: [
        { start: 1.2, end: 1.5, text: 'one' },
        { start: 1.6, end: 2, text: 'two' },
        { start: 2.2, end: 2.8, text: 'three' },
      ],
    };
    const y = '{\\c&H00E0FF&}';
    expect(dialogues(buildAssDocument([cue], STYLE, PORTRAIT))).toEqual([
      { start: '0:00:01.00', end: '0:00:01.60', text: `${y}one{\\c&HFFFFFF&} two three` },
      { start: '0:00:01.60', end: '0:00:02.20', text: `one ${y}two{\\c&HFFFFFF&} three` },
      { start: '0:00:02.20', end: '0:00:03.00', text: `one two ${y}three{\\c&HFFFFFF&}` },
    ]);
  });

  it('keeps highlight screens within the line limit and shows every word once per screen', () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'
      .split(' ')
      .map((text, i) => ({ start: i * 0.5, end: i * 0.5 + 0.4, text }));
    const lines = dialogues(
      buildAssDocument(
        [{ start: 0, end: 5, text: words.map((w) => w.text).join(' '), words }],
        { ...STYLE, maxCharsPerLine: 12 },
        PORTRAIT,
      ),
    );
    expect(lines).toHaveLength(words.length);
    for (const l of lines) {
      expect(l.text.match(/\{\\c&H00E0FF&\}/g)).toHaveLength(1);
      for (const row of visible(l.text).split('\n')) expect(row.length).toBeLessThanOrEqual(12);
      expect(visible(l.text).split('\n').length).toBeLessThanOrEqual(2);
    }
    expect(lines[4]?.text).toContain('{\\c&H00E0FF&}epsilon{\\c&HFFFFFF&}');
  });

  it('draws an emphasised cue centred and larger, every highlight screen of it', () => {
    const words = [
      { start: 0, end: 0.4, text: 'big' },
      { start: 0.5, end: 0.9, text: 'words' },
    ];
    const lines = dialogues(
      buildAssDocument(
        [
          { start: 0, end: 1, text: 'big words', words, emphasis: true },
          { start: 1, end: 2, text: 'plain' },
        ],
        STYLE,
        PORTRAIT,
      ),
    );
    const big = `{\\an5\\fs${Math.round(STYLE.fontSize * 1.4)}}`;
    expect(lines.slice(0, 2).every((l) => l.text.startsWith(big))).toBe(true);
    expect(lines[2]?.text).toBe('plain');
    // Wrapped for the larger letters: 28 characters a line become 20.
    const long = 'one two three four five six seven eight nine ten eleven'
      .split(' ')
      .map((text, i) => ({ start: i * 0.3, end: i * 0.3 + 0.2, text }));
    const wrapped = dialogues(
      buildAssDocument(
        [{ start: 0, end: 4, text: long.map((w) => w.text).join(' '), words: long, emphasis: true }],
        STYLE,
        PORTRAIT,
      ),
    );
    for (const l of wrapped)
      for (const row of visible(l.text.replace(big, '')).split('\n')) expect(row.length).toBeLessThanOrEqual(20);
  });

  it('cuts an overlapping cue where the next one starts so captions never stack', () => {
    const lines = dialogues(
      buildAssDocument(
        [
          { start: 2, end: 4, text: 'second' },
          { start: 0, end: 3, text: 'first' },
        ],
        STYLE,
        PORTRAIT,
      ),
    );
    expect(lines).toEqual([
      { start: '0:00:00.00', end: '0:00:02.00', text: 'first' },
      { start: '0:00:02.00', end: '0:00:04.00', text: 'second' },
    ]);
  });
});
