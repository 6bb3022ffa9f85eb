import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildAssDocument, resolveCaptionStyle } from '../../src/captions/ass-document.ts';
import type { Cue, Word } from '../../src/captions/cue.ts';
import { dictionaryWords, timeTokens } from '../../src/captions/local-speech/align-tokens.ts';
import { createCaptionAligner } from '../../src/captions/local-speech/caption-aligner.ts';
import { createSuppliedCaptionsTranscriber } from '../../src/captions/transcriber.ts';
import { createEspeakSpeech } from '../../src/speech/espeak-speech.ts';
import { splitSentences, tokenize } from '../../src/speech/word-timing.ts';
import { childProcesses } from '../speech/support.ts';

/**
 * The stated tolerance: every aligned word starts within ±0.25 s of where espeak-ng put it. The
 * reference is espeak-ng's own word timing as the article narrator measures it (speech/word-timing.ts,
 * itself within tens of ms of libespeak-ng's word events, see word-timing-accuracy.test.ts).
 */
const TOLERANCE_SECONDS = 0.25;

const TEXT =
  'The quick brown fox jumps over the lazy dog. Scientists have discovered a new species of frog in the rainforest. ' +
  'Reelforge turns long videos into short clips for many creators. Kate took the bus to Boston, and started her talk about climate policy.';

let dir: string;
let wav: string;
let reference: Word[];
let seconds: number;
const never = new AbortController().signal;

/** One cue per sentence, its window 0.1 s around espeak's first and last word (captions are rarely tighter). */
function sentenceCues(): { cue: Cue; ref: Word[] }[] {
  let k = 0;
  return splitSentences(TEXT).map((sentence) => {
    const n = tokenize(sentence).length;
    const ref = reference.slice(k, k + n);
    k += n;
    const cue = {
      start: Math.max(0, ref[0]!.start - 0.1),
      end: Math.min(seconds, ref[n - 1]!.end + 0.1),
      text: sentence,
    };
    return { cue, ref };
  });
}

const ms = (x: number) => Math.round(x * 1000);
const run = promisify(execFile);
const ffmpeg = (...args: string[]) => run(inject('ffmpegPath'), ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

describe('caption alignment with soundswallower (espeak-ng speech with known word times)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-align-'));
    const speech = createEspeakSpeech({ espeakPath: inject('espeakPath') });
    const narration = join(dir, 'narration.wav');
    const result = await speech.synthesize({ text: TEXT, voice: null, rate: null, outFile: narration }, never);
    // A source is a video file: the speech in Matroska (PCM: the samples, and so the times, unchanged).
    wav = join(dir, 'source.mkv');
    await ffmpeg('-i', narration, '-c:a', 'pcm_s16le', wav);
    reference = result.words;
    seconds = result.seconds;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`puts every dictionary word's start within ±${TOLERANCE_SECONDS} s of espeak-ng's, inside its cue`, async () => {
    const cues = sentenceCues();
    const aligner = createCaptionAligner({ ffmpegPath: inject('ffmpegPath') });
    const result = await aligner.align(
      wav,
      cues.map((c) => c.cue),
      never,
    );
    expect(result.failure).toBeNull();
    expect(result.aligned).toBe(cues.length);
    const errors: number[] = [];
    result.cues.forEach((cue, i) => {
      const { ref } = cues[i]!;
      expect(cue.words?.map((w) => w.text)).toEqual(ref.map((w) => w.text));
      cue.words!.forEach((w, j) => {
        expect(w.start).toBeGreaterThanOrEqual(cue.start);
        expect(w.end).toBeLessThanOrEqual(cue.end);
        if (j > 0) expect(w.start).toBeGreaterThanOrEqual(cue.words![j - 1]!.end);
        // "Reelforge" is not in the dictionary: it is placed, not measured.
        if (w.text === 'Reelforge') return;
        errors.push(Math.abs(w.start - ref[j]!.start));
        expect(Math.abs(w.start - ref[j]!.start), `"${w.text}" at ${w.start} vs ${ref[j]!.start}`).toBeLessThanOrEqual(
          TOLERANCE_SECONDS,
        );
      });
    });
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    console.log(
      `[alignment] ${errors.length} words: mean start error ${ms(mean)} ms, max ${ms(Math.max(...errors))} ms (tolerance ${ms(TOLERANCE_SECONDS)} ms)`,
    );
  });

  it('supplied SRT captions come back with word timings, and burn in with a per-word highlight', async () => {
    const srt = sentenceCues()
      .map(({ cue }, i) => {
        const stamp = (t: number) => {
          const c = Math.round(t * 1000);
          const p = (n: number, w = 2) => String(n).padStart(w, '0');
          return `${p(Math.floor(c / 3_600_000))}:${p(Math.floor(c / 60_000) % 60)}:${p(Math.floor(c / 1000) % 60)},${p(c % 1000, 3)}`;
        };
        return `${i + 1}\n${stamp(cue.start)} --> ${stamp(cue.end)}\n${cue.text}\n`;
      })
      .join('\n');
    const captionsFile = join(dir, 'captions.srt');
    await writeFile(captionsFile, srt);
    const transcriber = createSuppliedCaptionsTranscriber({
      aligner: createCaptionAligner({ ffmpegPath: inject('ffmpegPath') }),
    });
    const cues = await transcriber.transcribe({ sourceFile: wav, captionsFile, hasAudio: true }, never);
    expect(cues?.every((c) => (c.words?.length ?? 0) > 0)).toBe(true);
    const ass = buildAssDocument(cues!, resolveCaptionStyle(undefined, { width: 1080, height: 1920 }), {
      width: 1080,
      height: 1920,
    });
    // The highlight colour (#FFE000 → BGR 00E0FF) marks one word per event.
    expect(ass).toMatch(/Dialogue: .*\{\\c&H00E0FF&\}quick\{\\c&HFFFFFF&\}/);
  });

  it('leaves a cue without word timing when its text is not what is said, or when most words are unknown', async () => {
    const [first, second] = sentenceCues();
    const aligner = createCaptionAligner({ ffmpegPath: inject('ffmpegPath') });
    const wrong = { ...first!.cue, text: 'Completely different words are written in this caption instead.' };
    const unknown = { ...second!.cue, text: 'Xqzzy Vrrbl Plonkt frog.' };
    const result = await aligner.align(wav, [wrong, unknown], never);
    expect(result.cues[0]).toEqual(wrong);
    expect(result.cues[1]).toEqual(unknown);
    expect(result.failure).toBeNull();
  });

  it('never fails the captions: an alignment that cannot run leaves every cue as it was, saying why', async () => {
    const silentVideo = join(dir, 'no-audio.mkv');
    await ffmpeg('-f', 'lavfi', '-i', 'color=c=black:s=64x64:d=1', '-c:v', 'ffv1', silentVideo);
    const cues = sentenceCues().map((c) => c.cue);
    const result = await createCaptionAligner({ ffmpegPath: inject('ffmpegPath') }).align(silentVideo, cues, never);
    expect(result.cues).toEqual(cues);
    expect(result.aligned).toBe(0);
    expect(result.failure).toMatch(/ffmpeg failed while extracting audio to align captions/);
  });

  it('kills the worker at once on abort', async () => {
    // Many copies of the cues: work for a while.
    const cues = Array.from({ length: 200 }, () => sentenceCues().map((c) => c.cue)).flat();
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('task cancelled')), 400);
    await expect(
      createCaptionAligner({ ffmpegPath: inject('ffmpegPath') }).align(wav, cues, ac.signal),
    ).rejects.toThrow('task cancelled');
    expect(Date.now() - started).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(childProcesses('node')).toEqual([]);
  });
});

describe('alignment tokens', () => {
  const dict = new Set(['hello', 'world', 'well', 'known', "don't"]);
  const known = (w: string) => dict.has(w);

  it('maps caption tokens to dictionary words', () => {
    expect(dictionaryWords('"Hello,', known)).toEqual(['hello']);
    expect(dictionaryWords('well-known', known)).toEqual(['well', 'known']);
    expect(dictionaryWords('Don’t', known)).toEqual(["don't"]);
    expect(dictionaryWords('—', known)).toEqual([]);
    expect(dictionaryWords('Reelforge', known)).toBeNull();
  });

  it('times unknown tokens from their neighbours and refuses an alignment that does not match', () => {
    const tokens = ['Hello,', 'Reelforge', 'world.'];
    const said = [['hello'], null, ['world']];
    const aligned = [
      { t: 'hello', b: 0.1, d: 0.4 },
      { t: 'world(2)', b: 1.1, d: 0.5 },
    ];
    expect(timeTokens(tokens, said, aligned, 10, { start: 10, end: 12 })).toEqual([
      { start: 10.1, end: 10.5, text: 'Hello,' },
      { start: 10.5, end: 11.1, text: 'Reelforge' },
      { start: 11.1, end: 11.6, text: 'world.' },
    ]);
    expect(timeTokens(tokens, said, [aligned[0]!], 10, { start: 10, end: 12 })).toBeNull();
    expect(timeTokens(tokens, said, [aligned[0]!, { t: 'known', b: 1, d: 1 }], 10, { start: 10, end: 12 })).toBeNull();
  });
});
