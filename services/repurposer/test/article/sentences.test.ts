import { describe, expect, it } from 'vitest';
import { shortCaption } from '../../src/article/script/caption.ts';
import { splitSentences } from '../../src/article/script/sentences.ts';
import { stem } from '../../src/article/script/terms.ts';

describe('splitSentences', () => {
  it('does not break after titles, initials and dotted abbreviations', () => {
    expect(
      splitSentences(
        'Dr. Helen Marsh met Mr. Reyes and J. K. Rowling in the U.S. capital. They talked, e.g. about rain, i.e. weather.',
      ),
    ).toEqual([
      'Dr. Helen Marsh met Mr. Reyes and J. K. Rowling in the U.S. capital.',
      'They talked, e.g. about rain, i.e. weather.',
    ]);
    expect(splitSentences('Acme Inc. Reported a loss. Shares fell at 5 p.m. Monday.')).toEqual([
      'Acme Inc. Reported a loss.',
      'Shares fell at 5 p.m. Monday.',
    ]);
  });

  it('keeps decimals, version numbers and amounts whole', () => {
    expect(
      splitSentences('Prices rose 3.5 percent to $1,200.50. Version 2.0.1 ships in Q3. It costs 0.99 euros.'),
    ).toEqual(['Prices rose 3.5 percent to $1,200.50.', 'Version 2.0.1 ships in Q3.', 'It costs 0.99 euros.']);
  });

  it('treats "No." and "p." as abbreviations only before a number', () => {
    expect(splitSentences('See No. 5 on p. 12 of the report. The answer was no. He left.')).toEqual([
      'See No. 5 on p. 12 of the report.',
      'The answer was no.',
      'He left.',
    ]);
  });

  it('ends sentences after closing quotes and keeps quoted questions inside their sentence', () => {
    expect(
      splitSentences('"This is cheap," said Dr. Marsh. "It works." Then she left! "Really?" he asked. Why? Because.'),
    ).toEqual([
      '"This is cheap," said Dr. Marsh.',
      '"It works."',
      'Then she left!',
      '"Really?" he asked.',
      'Why?',
      'Because.',
    ]);
    expect(splitSentences('He said: “We are ready.” “Are you?” she asked.')).toEqual([
      'He said: “We are ready.”',
      '“Are you?” she asked.',
    ]);
  });

  it('splits full-width punctuation without spaces', () => {
    expect(splitSentences('東京は晴れです。明日は雨でしょう！本当？')).toEqual([
      '東京は晴れです。',
      '明日は雨でしょう！',
      '本当？',
    ]);
  });

  it('returns a text without terminal punctuation as one sentence', () => {
    expect(splitSentences('What I learned in the first month')).toEqual(['What I learned in the first month']);
    expect(splitSentences('')).toEqual([]);
  });
});

describe('shortCaption', () => {
  it('keeps a short sentence, without its full stop', () => {
    expect(shortCaption('Not everyone is convinced.')).toBe('Not everyone is convinced');
    expect(shortCaption('Is it worth it?')).toBe('Is it worth it?');
  });

  it('cuts a long sentence at its first clause or its first words, ending in an ellipsis', () => {
    expect(
      shortCaption(
        'Supporters argue that floating panels stay cooler than panels on land, which makes them more efficient.',
      ),
    ).toBe('Supporters argue that floating panels stay cooler than panels on land…');
    expect(
      shortCaption('The array of roughly forty thousand panels will cover a fifth of the surface of the reservoir.'),
    ).toBe('The array of roughly forty thousand panels will cover a fifth…');
  });

  it('never exceeds 120 characters', () => {
    const caption = shortCaption(`${'Supercalifragilisticexpialidocious '.repeat(8)}end.`);
    expect(caption.length).toBeLessThanOrEqual(120);
    expect(caption.endsWith('…')).toBe(true);
    expect(shortCaption('あ'.repeat(300)).length).toBeLessThanOrEqual(120);
  });
});

describe('stem', () => {
  it('folds plurals and possessives', () => {
    expect(['panels', 'cities', 'boxes', "council's", 'glass', 'status', 'panel'].map(stem)).toEqual([
      'panel',
      'city',
      'box',
      'council',
      'glass',
      'status',
      'panel',
    ]);
  });
});
