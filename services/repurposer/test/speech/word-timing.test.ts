import { describe, expect, it } from 'vitest';
import { parseVoiceTable, phonemeWeights } from '../../src/speech/espeak-speech.ts';
import { concatWavs, findSilences, parseWav } from '../../src/speech/wav.ts';
import {
  alignToSegments,
  estimateSyllables,
  matchPauses,
  placeWords,
  proportionalSpans,
  splitSentences,
  tokenize,
} from '../../src/speech/word-timing.ts';

/** A 16-bit mono WAV from sample values. */
function wav(samples: number[], sampleRate = 1000, dataSize?: number): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataSize ?? data.length, 40);
  return Buffer.concat([h, data]);
}

// The pure parts of word timing: text splitting, WAV reading, alignment and placement.
describe('speech text and WAV helpers', () => {
  it('splits sentences only at whitespace and not after titles, so the words still read as the text', () => {
    expect(splitSentences('Mr. Smith met Dr. Jones. Visit https://x.io/a?b=c now! e.g. this stays. Done')).toEqual([
      'Mr. Smith met Dr. Jones.',
      'Visit https://x.io/a?b=c now!',
      'e.g. this stays.',
      'Done',
    ]);
    expect(tokenize('  a\tb\n\nc ')).toEqual(['a', 'b', 'c']);
  });

  it('estimates syllables from spelling, numbers, acronyms and other scripts', () => {
    expect(
      ['the', 'sentence', 'beautiful', 'U.S.A.', 'BBC', '1999,', '—', '&', 'привет', '東京'].map(estimateSyllables),
    ).toEqual([1, 2, 3, 3, 3, 6, 0, 1, 2, 2]);
  });

  it('reads a WAV’s exact duration, also when a streamed header states no size', () => {
    const samples = Array.from({ length: 1500 }, (_, i) => (i % 2 ? 1000 : -1000));
    expect(parseWav(wav(samples)).seconds).toBe(1.5);
    expect(parseWav(wav(samples, 1000, 0xffffffff)).seconds).toBe(1.5);
    expect(parseWav(wav(samples, 1000, 0)).frames).toBe(1500);
    expect(() => parseWav(Buffer.from('<html>nope</html>'))).toThrow(/not a RIFF\/WAVE file/);
  });

  it('finds silences from the samples (silencedetect’s rule) and joins WAVs sample for sample', () => {
    const loud = Array.from({ length: 300 }, (_, i) => (i % 2 ? 8000 : -8000));
    const buf = wav([
      ...new Array<number>(100).fill(0),
      ...loud,
      ...new Array<number>(200).fill(3),
      ...loud,
      ...new Array<number>(50).fill(0),
    ]);
    const info = parseWav(buf);
    expect(findSilences(buf, info, { thresholdDb: -50, minSeconds: 0.08 })).toEqual([
      { start: 0, end: 0.1 },
      { start: 0.4, end: 0.6 },
    ]);
    const joined = concatWavs([
      { buf, info },
      { buf, info },
    ]);
    expect(parseWav(joined).frames).toBe(2 * info.frames);
  });

  it('reads espeak-ng’s voice table and its per-token phonemes', () => {
    const table = [
      'Pty Language       Age/Gender VoiceName          File                 Other Languages',
      ' 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)',
      ' 5  de              --/M      German             gmw/de',
    ].join('\n');
    expect(parseVoiceTable(table)).toEqual({
      languages: ['en-gb', 'de'],
      names: ['English_(Great_Britain)', 'German'],
      files: ['gmw/en', 'gmw/de'],
      aliases: ['en'],
    });
    expect(phonemeWeights(['In', '1999,', '—'], "'In\nn'aInti:n n'aInti n'aIn\n\n")).toEqual([
      { weight: 2, parts: 1 },
      { weight: 17, parts: 3 },
      { weight: 0, parts: 0 },
    ]);
    expect(phonemeWeights(['a', 'b'], 'only one line\n')).toBeNull();
  });
});

describe('word alignment and placement', () => {
  const seg = (start: number, end: number) => ({ start, end });

  it('maps tokens onto the gapped rendering’s segments, one token over several when the engine says so', () => {
    const segments = [seg(0, 0.2), seg(0.5, 0.8), seg(1.1, 1.3), seg(1.6, 1.9), seg(2.2, 2.5)];
    expect(
      alignToSegments(
        [
          { weight: 2, parts: 1 },
          { weight: 9, parts: 3 },
          { weight: 3, parts: 1 },
        ],
        segments,
      ),
    ).toEqual([seg(0, 0.2), seg(0.5, 1.9), seg(2.2, 2.5)]);
    // Unknown parts: lengths decide; a missed gap makes two tokens share a segment by weight.
    const shared = alignToSegments(
      [
        { weight: 1, parts: null },
        { weight: 1, parts: null },
        { weight: 2, parts: null },
      ],
      [seg(0, 0.4), seg(0.7, 1.1)],
    )!;
    expect(shared[0]).toEqual(seg(0, 0.2));
    expect(shared[1]).toEqual(seg(0.2, 0.4));
    expect(shared[2]).toEqual(seg(0.7, 1.1));
  });

  it('pins word boundaries to the pauses measured in the real audio, preferring punctuation', () => {
    // A 0.3 s pause after 1.0 s of sound. The estimate has a plain boundary 0.05 s from it and one
    // after a comma 0.2 s from it: the comma gets the pause.
    const tokens = ['One', 'two', 'three,', 'four', 'five'];
    const spans = proportionalSpans([0.5, 0.45, 0.25, 0.65, 0.65], 2.5);
    const words = placeWords(
      tokens,
      spans,
      2.5,
      { seconds: 3, pauses: [seg(0, 0.1), seg(1.1, 1.4), seg(2.9, 3)] },
      { tolerance: 0.1, punctuationTolerance: 0.5 },
    );
    expect(words.map((w) => w.text)).toEqual(tokens);
    expect(words[0]!.start).toBe(0.1);
    expect(words[2]!.end).toBe(1.1);
    expect(words[3]!.start).toBe(1.4);
    expect(words[4]!.end).toBe(2.9);
    expect(
      matchPauses(
        [1.0],
        [
          { at: 0.8, kind: 0 },
          { at: 1.3, kind: 2 },
        ],
        { tolerance: 0.3, punctuationTolerance: 0.5 },
      ),
    ).toEqual([[0, 1]]);
  });

  it('gives silent tokens the pause they stand in and keeps everything monotonic within the audio', () => {
    const words = placeWords(
      ['Acme', '—', 'Sons'],
      [seg(0, 1), null, seg(1, 2)],
      2,
      { seconds: 2.5, pauses: [seg(1, 1.5)] },
      { tolerance: 0.1, punctuationTolerance: 0.3 },
    );
    expect(words).toEqual([
      { start: 0, end: 1, text: 'Acme' },
      { start: 1, end: 1.5, text: '—' },
      { start: 1.5, end: 2.5, text: 'Sons' },
    ]);
  });
});
