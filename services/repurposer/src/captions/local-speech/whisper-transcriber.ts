import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PermanentError } from '@reelforge/messaging';
import { retryable } from '../../pipeline/errors.ts';
import { runFfmpeg } from '../../render/run-ffmpeg.ts';
import type { Cue, Word } from '../cue.ts';
import type { Transcriber } from '../transcriber.ts';
import { runSpeechWorker, SpeechWorkerError } from './run-speech-worker.ts';
import { whisperModelProblem } from './whisper-model.ts';
import type { WhisperToken } from './worker-protocol.ts';

export interface WhisperTranscriberOptions {
  ffmpegPath: string;
  /** A whisper.cpp ggml model file (WHISPER_MODEL_PATH). */
  modelPath: string;
  /** A whisper language code (`en`, `de`…) or `auto` (multilingual models detect it). */
  language?: string;
  /** CPU threads for whisper.cpp; default: the machine's, at most 8. */
  threads?: number;
}

const CODE = 'TRANSCRIBE_FAILED';
const AUDIO_FILE = 'speech-16k.wav';

/** A cue ends after a sentence, before a pause this long, or once it is this long. */
const CUE_GAP_SECONDS = 1;
const CUE_MAX_SECONDS = 7;
const CUE_MAX_CHARS = 84;
/** The same word more often than this in a row is whisper looping, not speech. */
const MAX_REPEATS = 3;
const SENTENCE_END = /[.!?…]["'”’»)\]]*$/u;
/** Whisper's non-speech annotations: `[BLANK_AUDIO]`, `(music)`, `[Applause]`, `♪`, `*laughs*`. */
const NON_SPEECH = /^(?:\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫#~]+)$/u;
/** Special tokens whisper.cpp may print (`[_BEG_]`, `[_TT_123]`, `<|endoftext|>`). */
const SPECIAL = /^\s*(?:\[_[A-Z]+_?\d*\]|<\|[^|]*\|>)\s*$/u;

/**
 * Words from whisper.cpp's per-token segments: a token starting with a space starts a word, others
 * continue it (what whisper.cpp's split-on-word does). Non-speech annotations, special tokens and
 * runs of one word repeated more than three times (a decoding loop) are dropped; times are
 * clamped to be monotonic.
 */
export function wordsFromTokens(tokens: WhisperToken[]): Word[] {
  const words: Word[] = [];
  for (const t of tokens) {
    if (!t.text || SPECIAL.test(t.text)) continue;
    const start = t.t0 / 1000;
    const end = Math.max(start, t.t1 / 1000);
    const last = words[words.length - 1];
    if (last && !/^\s/u.test(t.text)) {
      last.text += t.text;
      last.end = Math.max(last.end, end);
    } else if (t.text.trim()) words.push({ start, end, text: t.text.trim() });
  }
  const kept: Word[] = [];
  let run = 0;
  const key = (w: Word) => w.text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
  for (const w of words) {
    if (NON_SPEECH.test(w.text)) continue;
    const prev = kept[kept.length - 1];
    run = prev && key(prev) === key(w) && key(w) ? run + 1 : 1;
    if (run > MAX_REPEATS) continue;
    const start = Math.max(w.start, prev?.end ?? 0);
    kept.push({ start, end: Math.max(start, w.end), text: w.text });
  }
  return kept;
}

/** Words into caption cues: a cue ends after a sentence, at a pause of 1 s, or at 7 s / 84 characters. */
export function cuesFromWords(words: Word[]): Cue[] {
  const cues: Cue[] = [];
  let current: Word[] = [];
  const flush = () => {
    if (current.length)
      cues.push({
        start: current[0]!.start,
        end: current[current.length - 1]!.end,
        text: current.map((w) => w.text).join(' '),
        words: current,
      });
    current = [];
  };
  for (const w of words) {
    const first = current[0];
    const chars = current.reduce((n, c) => n + c.text.length + 1, 0) + w.text.length;
    if (
      first &&
      (w.start - current[current.length - 1]!.end > CUE_GAP_SECONDS ||
        w.end - first.start > CUE_MAX_SECONDS ||
        chars > CUE_MAX_CHARS)
    )
      flush();
    current.push(w);
    if (SENTENCE_END.test(w.text)) flush();
  }
  flush();
  return cues.filter((c) => c.end > c.start);
}

/**
 * Transcribes a source locally with whisper.cpp (the `@fugood/node-whisper-linux-x64` binding) in a
 * child process (speech-worker.ts): ffmpeg extracts the first audio stream as 16 kHz mono WAV
 * into the task's directory, whisper.cpp transcribes it with token timestamps, and the tokens
 * become words and cues (for word-level highlight). Aborting `signal` kills the process. A model
 * that cannot be loaded (even one that crashes whisper.cpp), or a missing binding, is permanent; a
 * worker that crashes after loading the model retries with the task.
 * Too little speech (fewer than two words once non-speech is dropped) is no transcript.
 */
export function createWhisperTranscriber(o: WhisperTranscriberOptions): Transcriber {
  const threads = o.threads ?? Math.max(1, Math.min(8, availableParallelism()));
  return {
    describe: () => 'transcribing speech locally with whisper.cpp',
    transcribe: async ({ sourceFile, hasAudio }, signal) => {
      if (!hasAudio) return null;
      const problem = whisperModelProblem(o.modelPath);
      if (problem) throw new PermanentError(CODE, `local speech-to-text (WHISPER_MODEL_PATH): ${problem}`);
      const cwd = dirname(sourceFile);
      await runFfmpeg(
        {
          inputs: [{ path: basename(sourceFile), kind: 'video', options: [] }],
          filterComplex: null,
          outputOptions: ['-vn', '-map', '0:a:0', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 'wav'],
          output: AUDIO_FILE,
        },
        { ffmpegPath: o.ffmpegPath, cwd, signal, expectedSeconds: 0, doing: 'extracting the speech' },
      );
      let tokens: WhisperToken[];
      // 115 MB an hour: gone as soon as whisper.cpp is done with it, not at the end of the task.
      const audio = join(cwd, AUDIO_FILE);
      try {
        const reply = await runSpeechWorker(
          {
            op: 'transcribe',
            modelPath: o.modelPath,
            audioFile: audio,
            threads,
            language: o.language ?? 'auto',
          },
          signal,
        );
        tokens = 'tokens' in reply ? reply.tokens : [];
      } catch (err) {
        if (signal.aborted || !(err instanceof SpeechWorkerError)) throw err;
        // A crash once the model is loaded may pass (memory, a kill): retry. Before, it is the model.
        if (err.crashed && err.stage === 'model-loaded')
          throw retryable(CODE, `local speech-to-text: ${err.message}`, err);
        const message = err.crashed ? `whisper.cpp cannot load the model ${o.modelPath}: ${err.message}` : err.message;
        throw new PermanentError(CODE, `local speech-to-text: ${message}`, { cause: err });
      } finally {
        await rm(audio, { force: true });
      }
      const words = wordsFromTokens(tokens);
      return words.length >= 2 ? cuesFromWords(words) : null;
    },
  };
}
