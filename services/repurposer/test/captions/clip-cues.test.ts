import { describe, expect, it } from 'vitest';
import { cuesForClip, sentenceEnds } from '../../src/captions/clip-cues.ts';
import type { Cue } from '../../src/captions/cue.ts';

describe('cuesForClip', () => {
  it('shifts and clamps cues to a single part, dropping slivers and outsiders', () => {
    const cues: Cue[] = [
      { start: 5, end: 10.5, text: 'before, runs in' },
      { start: 12, end: 13.25, text: 'inside' },
      { start: 19.97, end: 21, text: 'sliver at the end' },
      { start: 20.5, end: 22, text: 'after' },
      { start: 2, end: 9.9, text: 'wholly before' },
    ];
    expect(cuesForClip(cues, [{ start: 10, end: 20 }], 0.5)).toEqual([
      { start: 0, end: 0.5, text: 'before, runs in' },
      { start: 2, end: 3.25, text: 'inside' },
    ]);
  });

  it('places part i at sum of earlier lengths minus i transitions', () => {
    const cues: Cue[] = [
      { start: 13, end: 15, text: 'end of part one' },
      { start: 29, end: 31, text: 'start of part two' },
      { start: 32.5, end: 40, text: 'end of part two' },
      { start: 50.2, end: 50.9, text: 'part three' },
    ];
    const parts = [
      { start: 10, end: 14 },
      { start: 30, end: 33 },
      { start: 50, end: 51 },
    ];
    // Offsets: part 0 at 0, part 1 at 4 − 0.5 = 3.5, part 2 at 4 + 3 − 2 × 0.5 = 6.
    expect(cuesForClip(cues, parts, 0.5)).toEqual([
      { start: 3, end: 4, text: 'end of part one' },
      { start: 3.5, end: 4.5, text: 'start of part two' },
      { start: 6, end: 6.5, text: 'end of part two' },
      { start: 6.2, end: 6.9, text: 'part three' },
    ]);
  });

  it('ignores the transition when there is one part', () => {
    expect(cuesForClip([{ start: 1, end: 2, text: 'x' }], [{ start: 0.5, end: 3 }], 1)).toEqual([
      { start: 0.5, end: 1.5, text: 'x' },
    ]);
  });

  it('maps words with their cue, dropping cut slivers, keeping short whole words, re-joining the text', () => {
    const cue: Cue = {
      start: 9,
      end: 13,
      text: 'cut off a word kept and sliver',
      words: [
        { start: 9, end: 9.8, text: 'cut' },
        { start: 9.8, end: 10.3, text: 'off' },
        { start: 10.3, end: 10.33, text: 'a' },
        { start: 10.4, end: 11, text: 'word' },
        { start: 11, end: 11.5, text: 'kept' },
        { start: 11.5, end: 11.96, text: 'and' },
        { start: 11.96, end: 12.5, text: 'sliver' },
      ],
    };
    expect(cuesForClip([cue], [{ start: 10, end: 12 }], 0)).toEqual([
      {
        start: 0,
        end: 2,
        text: 'off a word kept and',
        words: [
          { start: 0, end: 0.3, text: 'off' },
          { start: 0.3, end: 0.33, text: 'a' },
          { start: 0.4, end: 1, text: 'word' },
          { start: 1, end: 1.5, text: 'kept' },
          { start: 1.5, end: 1.96, text: 'and' },
        ],
      },
    ]);
  });

  it('drops the piece of a cue whose words all fall outside the part', () => {
    const cue: Cue = {
      start: 0,
      end: 10,
      text: 'early words',
      words: [
        { start: 0, end: 1, text: 'early' },
        { start: 1, end: 2, text: 'words' },
      ],
    };
    expect(cuesForClip([cue], [{ start: 5, end: 8 }], 0)).toEqual([]);
  });
});

describe('sentenceEnds', () => {
  it('lists the ends of cues and words that close a sentence, sorted and unique', () => {
    const cues: Cue[] = [
      { start: 5, end: 6, text: 'Really?' },
      { start: 0, end: 2, text: 'It works.' },
      { start: 2, end: 3, text: 'and then' },
      { start: 3, end: 4, text: '"Stop!"' },
      { start: 6, end: 7, text: 'Well…' },
      { start: 7, end: 8, text: 'Really?' },
      { start: 8, end: 9, text: 'e.g. no end' },
      {
        start: 10,
        end: 14,
        text: 'Yes. Then “this.” more',
        words: [
          { start: 10, end: 10.5, text: 'Yes.' },
          { start: 10.5, end: 11, text: 'Then' },
          { start: 11, end: 12, text: '“this.”' },
          { start: 12, end: 14, text: 'more' },
        ],
      },
    ];
    expect(sentenceEnds(cues)).toEqual([2, 4, 6, 7, 8, 10.5, 12]);
  });
});
