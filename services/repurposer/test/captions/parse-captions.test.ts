import { describe, expect, it } from 'vitest';
import { CaptionsFormatError, parseCaptions } from '../../src/captions/parse-captions.ts';

describe('parseCaptions: SRT', () => {
  it('reads cues with CRLF, counters, multi-line text and markup', () => {
    const srt = [
      '1',
      '00:00:01,000 --> 00:00:02,500',
      '<i>Hello</i> there,',
      '{\\an8}<font color="#ffffff">general</font> Kenobi.',
      '',
      '2',
      '01:02:03,040 --> 01:02:04,000',
      'Tom &amp; Jerry say a &lt; b',
      '',
    ].join('\r\n');
    expect(parseCaptions(srt)).toEqual([
      { start: 1, end: 2.5, text: 'Hello there, general Kenobi.' },
      { start: 3723.04, end: 3724, text: 'Tom & Jerry say a < b' },
    ]);
  });

  it('ignores a byte-order mark and keeps a literal "<" that is not a tag', () => {
    const srt = '\uFEFF1\n00:00:00,500 --> 00:00:01,000\nx < y > z\n';
    expect(parseCaptions(srt)).toEqual([{ start: 0.5, end: 1, text: 'x < y > z' }]);
  });

  it('sorts by start and drops empty and zero-length cues', () => {
    const srt = [
      '1',
      '00:00:05,000 --> 00:00:06,000',
      'second',
      '',
      '2',
      '00:00:01,000 --> 00:00:02,000',
      'first',
      '',
      '3',
      '00:00:03,000 --> 00:00:03,000',
      'zero length',
      '',
      '4',
      '00:00:04,000 --> 00:00:03,500',
      'negative',
      '',
      '5',
      '00:00:07,000 --> 00:00:08,000',
      '<i></i>',
      '',
    ].join('\n');
    expect(parseCaptions(srt).map((c) => c.text)).toEqual(['first', 'second']);
  });

  it('skips a damaged block and keeps the others', () => {
    const srt =
      '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nnot a timing line\nlost\n\n3\n00:00:03,000 --> 00:00:04,000\nalso ok\n';
    expect(parseCaptions(srt).map((c) => c.text)).toEqual(['ok', 'also ok']);
  });
});

describe('parseCaptions: WebVTT', () => {
  it('reads the header, cue ids, settings, short timestamps, NOTE and STYLE blocks, and tags', () => {
    const vtt = [
      '\uFEFFWEBVTT - a talk',
      'Kind: captions',
      'Language: en',
      '',
      'NOTE this is a comment',
      'spanning lines 00:00:09.000 --> 00:00:10.000',
      '',
      'STYLE',
      '::cue { color: red }',
      '',
      'intro',
      '00:01.250 --> 00:03.000 align:start position:10% line:0',
      '<v Bob>Welcome <c.loud>everyone</c></v>',
      'to the show',
      '',
      '01:00:00.000 --> 01:00:01.500',
      '<b>Bye</b>',
      '',
    ].join('\r\n');
    expect(parseCaptions(vtt)).toEqual([
      { start: 1.25, end: 3, text: 'Welcome everyone to the show' },
      { start: 3600, end: 3601.5, text: 'Bye' },
    ]);
  });

  it('turns inline timestamps into word timing', () => {
    const vtt = 'WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nSo <00:00:01.500>this is <00:00:02.500><c>it</c>\n';
    const [cue] = parseCaptions(vtt);
    expect(cue?.text).toBe('So this is it');
    // "this is" shares 1.5–2.5 by length: 4 of 6 characters, then 2.
    expect(cue?.words).toEqual([
      { start: 1, end: 1.5, text: 'So' },
      { start: 1.5, end: 1.5 + (1 * 4) / 6, text: 'this' },
      { start: 1.5 + (1 * 4) / 6, end: 2.5, text: 'is' },
      { start: 2.5, end: 3, text: 'it' },
    ]);
  });

  it('reads YouTube-style word timing, where the space sits inside the tag after the timestamp', () => {
    const vtt =
      'WEBVTT\n\n00:00:00.000 --> 00:00:02.000 align:start position:0%\nhello<00:00:00.600><c> big</c><00:00:01.200><c> world</c>\n';
    expect(parseCaptions(vtt)[0]?.words).toEqual([
      { start: 0, end: 0.6, text: 'hello' },
      { start: 0.6, end: 1.2, text: 'big' },
      { start: 1.2, end: 2, text: 'world' },
    ]);
  });

  it('keeps a word whole when a timestamp falls inside it, and clamps timestamps to the cue', () => {
    const vtt = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfan<00:00:01.400>tastic <00:00:05.000>end\n';
    const [cue] = parseCaptions(vtt);
    expect(cue?.text).toBe('fantastic end');
    expect(cue?.words).toEqual([
      { start: 1, end: 2, text: 'fantastic' },
      { start: 2, end: 2, text: 'end' },
    ]);
  });

  it('gives no words to cues without inline timestamps, and none to SRT', () => {
    expect(parseCaptions('WEBVTT\n\n00:00.000 --> 00:01.000\nplain\n')[0]).not.toHaveProperty('words');
  });

  it('accepts a header-only file as no cues', () => {
    expect(parseCaptions('WEBVTT\n\nNOTE nothing yet\n')).toEqual([]);
  });
});

describe('parseCaptions: neither format', () => {
  it('throws CaptionsFormatError naming the first problem', () => {
    const attempt = () => parseCaptions('<html>\n<body>not captions</body>\n</html>\n');
    expect(attempt).toThrow(CaptionsFormatError);
    expect(attempt).toThrow(/neither SRT nor WebVTT: line 1: expected a timing line .*"<html>"/);
  });

  it('throws on a bad timestamp when no cue can be read', () => {
    expect(() => parseCaptions('1\n00:00:01 --> 00:00:02\nhi\n')).toThrow(/line 2: bad timestamp/);
  });

  it('throws on empty text', () => {
    expect(() => parseCaptions('')).toThrow(CaptionsFormatError);
    expect(() => parseCaptions('\r\n\r\n')).toThrow(/the file is empty/);
  });
});
