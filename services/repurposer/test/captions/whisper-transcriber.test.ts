import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PermanentError } from '@reelforge/messaging';
import { ConfigError } from '@reelforge/service-kit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createWhisperTranscriber,
  cuesFromWords,
  wordsFromTokens,
} from '../../src/captions/local-speech/whisper-transcriber.ts';
import { createTranscriber, NO_SPEECH_TO_TEXT, type Transcriber } from '../../src/captions/transcriber.ts';
import { loadRepurposerConfig } from '../../src/config.ts';
import { createEspeakSpeech } from '../../src/speech/espeak-speech.ts';
import { childProcesses } from '../speech/support.ts';

/** No model can be downloaded here: with WHISPER_MODEL_PATH set the real model is tested, else the failures are. */
const MODEL = process.env.WHISPER_MODEL_PATH;
const never = new AbortController().signal;
const run = promisify(execFile);

const TEXT =
  'The quick brown fox jumps over the lazy dog. Scientists have discovered a new species of frog in the rainforest.';

let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rf-whisper-'));
  const narration = join(dir, 'narration.wav');
  await createEspeakSpeech({ espeakPath: inject('espeakPath') }).synthesize(
    { text: TEXT, voice: null, rate: null, outFile: narration },
    never,
  );
  source = join(dir, 'source.mkv');
  await run(inject('ffmpegPath'), [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    narration,
    '-c:a',
    'pcm_s16le',
    source,
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const transcriberFor = (modelPath: string) =>
  createWhisperTranscriber({ ffmpegPath: inject('ffmpegPath'), modelPath, language: 'en' });
const failure = (t: Transcriber) =>
  t.transcribe({ sourceFile: source, captionsFile: null, hasAudio: true }, never).then(
    () => null,
    (err: unknown) => err as Error,
  );

describe(
  MODEL
    ? `local whisper.cpp with the model at WHISPER_MODEL_PATH=${MODEL}`
    : 'local whisper.cpp without a model (WHISPER_MODEL_PATH unset: only its failures are tested)',
  () => {
    beforeAll(() => {
      console.log(
        MODEL
          ? `[whisper] testing transcription with the real model ${MODEL}`
          : '[whisper] WHISPER_MODEL_PATH is not set: no model on this machine, testing the failure messages only',
      );
    });

    if (MODEL) {
      it('transcribes espeak-ng speech into cues with word timings', async () => {
        const cues = await transcriberFor(MODEL).transcribe(
          { sourceFile: source, captionsFile: null, hasAudio: true },
          never,
        );
        expect(cues).not.toBeNull();
        const words = cues!.flatMap((c) => c.words ?? []);
        const said = words.map((w) => w.text.toLowerCase().replace(/[^a-z]/g, ''));
        const expected = TEXT.toLowerCase()
          .replace(/[^a-z ]/g, '')
          .split(' ');
        const found = expected.filter((w) => said.includes(w)).length;
        console.log(`[whisper] ${words.length} words, ${found}/${expected.length} of the text's words heard`);
        expect(found / expected.length).toBeGreaterThanOrEqual(0.7);
        words.forEach((w, i) => {
          expect(w.end).toBeGreaterThanOrEqual(w.start);
          if (i > 0) expect(w.start).toBeGreaterThanOrEqual(words[i - 1]!.end);
        });
      });

      it('stops at once when the task is aborted', async () => {
        const ac = new AbortController();
        const started = Date.now();
        setTimeout(() => ac.abort(new Error('task cancelled')), 300);
        await expect(
          transcriberFor(MODEL).transcribe({ sourceFile: source, captionsFile: null, hasAudio: true }, ac.signal),
        ).rejects.toThrow('task cancelled');
        expect(Date.now() - started).toBeLessThan(3000);
        await new Promise((r) => setTimeout(r, 100));
        expect(childProcesses('node')).toEqual([]);
      });
    } else {
      it('a missing model file is a permanent, readable error', async () => {
        const err = await failure(transcriberFor(join(dir, 'missing.bin')));
        expect(err).toBeInstanceOf(PermanentError);
        expect(err!.message).toBe(
          `local speech-to-text (WHISPER_MODEL_PATH): ${join(dir, 'missing.bin')} does not exist`,
        );
      });

      it('a file that is not a model is a permanent, readable error', async () => {
        const notes = join(dir, 'notes.bin');
        await writeFile(notes, 'not a model\n'.repeat(200_000));
        const err = await failure(transcriberFor(notes));
        expect(err).toBeInstanceOf(PermanentError);
        expect(err!.message).toMatch(/notes\.bin is not a whisper\.cpp model \(a ggml \.bin file/);
      });

      it('a damaged model reaches whisper.cpp in the worker, whose complaint is in the error', async () => {
        // ggml's magic, then garbage: passes the cheap check, so the binding itself loads and refuses it.
        const damaged = join(dir, 'damaged.bin');
        const bytes = Buffer.alloc(2 * 1024 * 1024, 0x5a);
        bytes.writeUInt32LE(0x67676d6c, 0);
        await writeFile(damaged, bytes);
        const err = await failure(transcriberFor(damaged));
        console.log(`[whisper] damaged model: ${err?.message}`);
        expect(err).toBeInstanceOf(PermanentError);
        // whisper.cpp asserts on this one (SIGABRT): only the worker process dies, and the task is told why.
        expect(err!.message).toMatch(/^local speech-to-text: whisper\.cpp cannot load the model .*damaged\.bin: /);
        expect(err!.message).toMatch(/GGML_ASSERT|Failed to initialize whisper context/);
        expect(childProcesses('node')).toEqual([]);
      });
    }
  },
);

describe('WHISPER_MODEL_PATH at startup', () => {
  it('a missing or wrong file stops the service with a clear message', async () => {
    const base = { DATABASE_URL: 'postgres://reelforge@127.0.0.1/reelforge' };
    const missing = { ...base, WHISPER_MODEL_PATH: join(dir, 'nope.bin') };
    expect(() => loadRepurposerConfig(missing)).toThrow(ConfigError);
    expect(() => loadRepurposerConfig(missing)).toThrow(
      `invalid configuration: WHISPER_MODEL_PATH: ${join(dir, 'nope.bin')} does not exist`,
    );
    expect(() => loadRepurposerConfig({ ...base, WHISPER_MODEL_PATH: dir })).toThrow(
      /WHISPER_MODEL_PATH: .* is not a file/,
    );
    expect(loadRepurposerConfig(base).WHISPER_MODEL_PATH).toBeUndefined();
  });
});

describe('whisper tokens to captions', () => {
  it('rebuilds words from tokens, drops non-speech and decoding loops', () => {
    const t = (text: string, t0: number, t1: number) => ({ text, t0, t1 });
    const words = wordsFromTokens([
      t('[_BEG_]', 0, 0),
      t(' [BLANK_AUDIO]', 0, 900),
      t(' Hel', 1000, 1200),
      t('lo', 1200, 1400),
      t(' world', 1500, 1900),
      t('.', 1900, 1950),
      ...Array.from({ length: 6 }, (_, i) => t(' again', 2000 + i * 300, 2250 + i * 300)),
      t(' (music)', 4000, 5000),
    ]);
    expect(words.map((w) => w.text)).toEqual(['Hello', 'world.', 'again', 'again', 'again']);
    expect(words[0]).toEqual({ start: 1, end: 1.4, text: 'Hello' });
    expect(words[1]).toEqual({ start: 1.5, end: 1.95, text: 'world.' });
  });

  it('groups words into cues at sentence ends and pauses', () => {
    const w = (text: string, start: number) => ({ start, end: start + 0.3, text });
    const cues = cuesFromWords([w('One', 0), w('two.', 0.4), w('Three', 1), w('four', 3), w('five', 3.4)]);
    expect(cues.map((c) => c.text)).toEqual(['One two.', 'Three', 'four five']);
    expect(cues[2]!.words).toHaveLength(2);
  });

  it('order: supplied captions, then local whisper, then the API, else none (and the task is told)', async () => {
    const fake = (name: string): Transcriber => ({
      transcribe: async () => [{ start: 0, end: 1, text: name }],
      describe: () => name,
    });
    const input = (captionsFile: string | null) => ({ sourceFile: 's', captionsFile, hasAudio: true });
    const all = createTranscriber({ supplied: fake('supplied'), local: fake('local'), speech: fake('api') });
    expect((await all.transcribe(input('c.srt'), never))?.[0]?.text).toBe('supplied');
    expect((await all.transcribe(input(null), never))?.[0]?.text).toBe('local');
    const apiOnly = createTranscriber({ supplied: fake('supplied'), local: null, speech: fake('api') });
    expect((await apiOnly.transcribe(input(null), never))?.[0]?.text).toBe('api');
    const none = createTranscriber({ supplied: fake('supplied'), speech: null });
    expect(none.describe!({ captionsFile: null })).toBe(NO_SPEECH_TO_TEXT);
    expect(none.describe!({ captionsFile: 'c.srt' })).toBe('supplied');
  });
});
