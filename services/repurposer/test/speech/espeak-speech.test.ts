import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEspeakSpeech } from '../../src/speech/espeak-speech.ts';
import { SpeechError, type Speech, type SpeechResult } from '../../src/speech/speech.ts';
import { findSilences, parseWav } from '../../src/speech/wav.ts';
import { childProcesses, probeAudio, speechTools, volume } from './support.ts';

const run = promisify(execFile);
const S1 = 'The quick brown fox jumps over the lazy dog, and then it runs away.';
const S2 = 'In 1999, the well-known firm — Acme & Sons — sold 3.5 million widgets.';
const S3 = 'Nobody expected that!';
const TEXT = `${S1} ${S2}\n\n${S3}`;

const outcome = <T>(p: Promise<T>) =>
  p.then(
    (v) => v,
    (e: unknown) => e,
  );

// The offline narration on the real espeak-ng, measured with the real ffmpeg/ffprobe.
describe('espeak-ng speech', () => {
  let dir: string;
  let tools: ReturnType<typeof speechTools>;
  let speech: Speech;
  let full: SpeechResult;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    tools = speechTools();
    dir = await mkdtemp(join(tmpdir(), 'rf-speech-'));
    speech = createEspeakSpeech({ espeakPath: tools.espeakPath });
    full = await speech.synthesize({ text: TEXT, voice: null, rate: null, outFile: join(dir, 'full.wav') }, signal);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('produces audible speech whose stated duration is the file’s measured one', async () => {
    expect(full.file).toBe(join(dir, 'full.wav'));
    expect(full.seconds).toBeGreaterThan(5);
    const probed = await probeAudio(tools.ffprobePath, full.file);
    expect(probed.codec).toBe('pcm_s16le');
    expect(Math.abs(probed.seconds - full.seconds)).toBeLessThan(0.001);
    const { meanDb, maxDb } = await volume(tools.ffmpegPath, full.file);
    // Digital silence reads about -91 dB: speech peaks near full scale.
    expect(maxDb).toBeGreaterThan(-12);
    expect(meanDb).toBeGreaterThan(-40);
    // Nothing is left beside the output.
    expect(await readdir(dir)).toEqual(['full.wav']);
  });

  it('reads pauses from the samples exactly as ffmpeg silencedetect does', async () => {
    const { stderr } = await run(tools.ffmpegPath, [
      '-hide_banner',
      '-nostats',
      '-i',
      full.file,
      '-af',
      'silencedetect=n=-50dB:d=0.1',
      '-f',
      'null',
      '-',
    ]);
    const starts = [...stderr.matchAll(/silence_start: ([\d.]+)/g)].map((m) => Number(m[1]));
    const ends = [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
    const buf = await readFile(full.file);
    const ours = findSilences(buf, parseWav(buf), { thresholdDb: -50, minSeconds: 0.1 })!;
    // Sentence ends, the commas and the dashes at least.
    expect(ours.length).toBeGreaterThanOrEqual(5);
    expect(ours.map((s) => s.start)).toEqual(starts.map((s) => expect.closeTo(s, 2)));
    expect(ours.map((s) => s.end)).toEqual(ends.map((e) => expect.closeTo(e, 2)));
  });

  it('times every word of the text, in order, monotonic within [0, seconds]', () => {
    expect(full.words.map((w) => w.text).join(' ')).toBe(TEXT.split(/\s+/).join(' '));
    let prev = 0;
    for (const w of full.words) {
      expect(w.start).toBeGreaterThanOrEqual(prev);
      expect(w.end).toBeGreaterThanOrEqual(w.start);
      prev = w.end;
    }
    expect(prev).toBeLessThanOrEqual(full.seconds);
    // Spoken words take time; the dashes stand in pauses.
    for (const w of full.words) if (w.text !== '—') expect(w.end - w.start).toBeGreaterThan(0.05);
    // The number is said as three words ("nineteen ninety-nine"): it is far longer than "the".
    const word = (t: string) => full.words.find((w) => w.text === t)!;
    expect(word('1999,').end - word('1999,').start).toBeGreaterThan(3 * (word('the').end - word('the').start));
  });

  it('puts each sentence where its own audio is: sentence 2 starts after sentence 1’s measured duration', async () => {
    const one = await speech.synthesize({ text: S1, voice: null, rate: null, outFile: join(dir, 's1.wav') }, signal);
    const two = await speech.synthesize({ text: S2, voice: null, rate: null, outFile: join(dir, 's2.wav') }, signal);
    const n1 = S1.split(' ').length;
    const n2 = S2.split(' ').length;
    const firstOf2 = full.words[n1]!;
    const firstOf3 = full.words[n1 + n2]!;
    expect(firstOf2.text).toBe('In');
    expect(full.words[n1 - 1]!.end).toBeLessThanOrEqual(one.seconds);
    expect(firstOf2.start).toBeGreaterThanOrEqual(one.seconds);
    expect(firstOf2.start).toBeLessThan(one.seconds + 0.1);
    expect(firstOf3.text).toBe('Nobody');
    expect(firstOf3.start).toBeGreaterThanOrEqual(one.seconds + two.seconds);
    // The sentences are joined sample for sample: the whole is exactly the sum of its parts.
    const three = await speech.synthesize({ text: S3, voice: null, rate: null, outFile: join(dir, 's3.wav') }, signal);
    expect(full.seconds).toBeCloseTo(one.seconds + two.seconds + three.seconds, 9);
    // And the word timings inside a sentence do not depend on what came before it.
    expect(full.words.slice(n1, n1 + n2).map((w) => w.start - one.seconds)).toEqual(
      two.words.map((w) => expect.closeTo(w.start, 2)),
    );
  });

  it('speaks faster at rate 200 than at rate 120', async () => {
    const [slow, fast] = await Promise.all([
      speech.synthesize({ text: S1, voice: null, rate: 120, outFile: join(dir, 'slow.wav') }, signal),
      speech.synthesize({ text: S1, voice: null, rate: 200, outFile: join(dir, 'fast.wav') }, signal),
    ]);
    expect(fast.seconds).toBeLessThan(slow.seconds * 0.8);
    expect(fast.words.at(-1)!.end).toBeLessThan(slow.words.at(-1)!.end);
  });

  it('accepts espeak-ng’s voices (language, file, variant) and lists them', async () => {
    const us = await speech.synthesize(
      { text: 'Hello there.', voice: 'en-us', rate: null, outFile: join(dir, 'us.wav') },
      signal,
    );
    const variant = await speech.synthesize(
      { text: 'Hello there.', voice: 'gmw/en+f3', rate: null, outFile: join(dir, 'f3.wav') },
      signal,
    );
    expect(us.seconds).toBeGreaterThan(0.3);
    expect(variant.seconds).toBeGreaterThan(0.3);
    const voices = await speech.voices!();
    expect(voices).toContain('en');
    expect(voices).toContain('de');
  });

  it('refuses an unknown voice permanently, naming it, before running anything', async () => {
    for (const voice of ['xx-nosuch', 'en+nosuch', '--help', 'en us', '../../etc/passwd']) {
      const err = await outcome(
        speech.synthesize({ text: 'Hello.', voice, rate: null, outFile: join(dir, 'bad-voice.wav') }, signal),
      );
      expect(err).toBeInstanceOf(SpeechError);
      expect((err as SpeechError).permanent).toBe(true);
      expect((err as SpeechError).failure).toBe('invalid-input');
      expect((err as SpeechError).message).toContain(`"${voice}"`);
    }
    expect(existsSync(join(dir, 'bad-voice.wav'))).toBe(false);
  });

  it('refuses an empty text and an impossible rate permanently', async () => {
    for (const input of [
      { text: '  \n ', rate: null },
      { text: 'Hello.', rate: 20 },
      { text: 'Hello.', rate: Number.NaN },
    ]) {
      const err = await outcome(speech.synthesize({ ...input, voice: null, outFile: join(dir, 'bad.wav') }, signal));
      expect(err).toBeInstanceOf(SpeechError);
      expect((err as SpeechError).permanent).toBe(true);
    }
  });

  it('speaks a text that starts with "-" instead of reading it as options', async () => {
    const text = '-w pwned.wav --version -v de is read aloud.';
    const r = await speech.synthesize({ text, voice: null, rate: null, outFile: join(dir, 'dash.wav') }, signal);
    expect(r.words.map((w) => w.text)).toEqual(text.split(' '));
    // Every token was spoken: about 1.5 s of speech, not a version banner or an empty file.
    expect(r.seconds).toBeGreaterThan(1.5);
    expect((await volume(tools.ffmpegPath, r.file)).maxDb).toBeGreaterThan(-12);
    expect(existsSync(join(dir, 'pwned.wav'))).toBe(false);
    expect(existsSync('pwned.wav')).toBe(false);
  });

  it('stops at once when aborted: espeak-ng is killed within 2 s and no file is left', async () => {
    const abortDir = await mkdtemp(join(dir, 'abort-'));
    // One very long sentence: minutes of audio, several seconds of synthesis.
    const long = createEspeakSpeech({ espeakPath: tools.espeakPath, maxChars: 100_000 });
    const text = 'and so the story of the quick brown fox goes on and on without a pause '.repeat(600);
    // Only this synthesis's espeak-ng count: one an earlier test left to finish on its own is not it.
    const earlier = new Set(childProcesses('espeak-ng'));
    const ours = () => childProcesses('espeak-ng').filter((pid) => !earlier.has(pid));
    // A synthesis runs espeak-ng more than once (the audio, its gapped twin, the phonemes): between
    // two runs none may be alive for a moment, so "at work" means one is seen within a short while.
    const atWork = async () => {
      for (const end = Date.now() + 1_000; Date.now() < end; await new Promise((r) => setTimeout(r, 5)))
        if (ours().length > 0) return true;
      return false;
    };
    const controller = new AbortController();
    let settled: unknown = undefined;
    const result = outcome(
      long.synthesize({ text, voice: null, rate: null, outFile: join(abortDir, 'long.wav') }, controller.signal),
    ).then((r) => (settled = r ?? 'settled'));
    // Wait until espeak-ng is really at work, then pull the plug. A synthesis that ends before any
    // espeak-ng is seen says why (a busy CI box once showed none within 10 s, with no reason given).
    const deadline = Date.now() + 30_000;
    while (ours().length === 0 && settled === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(settled, 'the synthesis ended before it could be aborted').toBeUndefined();
    expect(await atWork()).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    // Still at work (this text takes espeak-ng several seconds): the abort is what ends it.
    expect(await atWork()).toBe(true);
    expect(settled).toBeUndefined();
    const abortedAt = Date.now();
    controller.abort();
    const err = await result;
    const settledIn = Date.now() - abortedAt;
    expect(settledIn).toBeLessThan(2000);
    expect(err).toBeInstanceOf(SpeechError);
    expect((err as SpeechError).failure).toBe('aborted');
    expect((err as SpeechError).permanent).toBe(false);
    while (ours().length > 0 && Date.now() - abortedAt < 2000) await new Promise((r) => setTimeout(r, 20));
    expect(ours()).toEqual([]);
    // And no later run starts one again.
    expect(await atWork()).toBe(false);
    expect(await readdir(abortDir)).toEqual([]);
  });
});
