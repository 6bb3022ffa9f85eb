import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runFfmpeg } from '../../render/run-ffmpeg.ts';
import type { Cue } from '../cue.ts';
import { runSpeechWorker } from './run-speech-worker.ts';

/** Gives supplied captions word timings by aligning their text to the audio. */
export interface CaptionAligner {
  /**
   * The cues, those without words given words where the alignment succeeded (the rest as they
   * were), and how many were aligned. Never fails for a bad alignment; rejects only on abort.
   */
  align(
    sourceFile: string,
    cues: Cue[],
    signal: AbortSignal,
  ): Promise<{ cues: Cue[]; aligned: number; failure: string | null }>;
}

const AUDIO_FILE = 'align-16k.s16';

/**
 * Offline forced alignment with soundswallower (PocketSphinx in WebAssembly, its bundled US English
 * model), in the speech worker process. ffmpeg extracts 16 kHz mono raw samples (115 MB an hour)
 * into the task's directory; each cue without words is aligned on its own, in its time window
 * (read with 0.2 s either side), so a cue's words always fall inside the cue. Tokens missing from
 * the dictionary (names, digits) take the gap between their neighbours; a cue with more than a
 * third unknown, or whose alignment does not match its text, keeps no word timing. Any failure of
 * the whole step (ffmpeg, the worker) leaves every cue as it was, with the failure returned.
 */
export function createCaptionAligner(o: { ffmpegPath: string }): CaptionAligner {
  return {
    align: async (sourceFile, cues, signal) => {
      const todo = cues.map((c, i) => [c, i] as const).filter(([c]) => !c.words || c.words.length === 0);
      if (todo.length === 0) return { cues, aligned: 0, failure: null };
      const cwd = dirname(sourceFile);
      const audio = join(cwd, AUDIO_FILE);
      try {
        await runFfmpeg(
          {
            inputs: [{ path: basename(sourceFile), kind: 'video', options: [] }],
            filterComplex: null,
            outputOptions: ['-vn', '-map', '0:a:0', '-ac', '1', '-ar', '16000', '-f', 's16le'],
            output: AUDIO_FILE,
          },
          { ffmpegPath: o.ffmpegPath, cwd, signal, expectedSeconds: 0, doing: 'extracting audio to align captions' },
        );
        const reply = await runSpeechWorker(
          {
            op: 'align',
            audioFile: audio,
            cues: todo.map(([c]) => ({ start: c.start, end: c.end, tokens: c.text.split(/\s+/u).filter(Boolean) })),
          },
          signal,
        );
        const words = 'words' in reply ? reply.words : [];
        const out = [...cues];
        let aligned = 0;
        todo.forEach(([cue, i], k) => {
          const w = words[k];
          if (!w || w.length === 0) return;
          out[i] = { ...cue, text: w.map((x) => x.text).join(' '), words: w };
          aligned++;
        });
        return { cues: out, aligned, failure: null };
      } catch (err) {
        if (signal.aborted) throw err;
        return { cues, aligned: 0, failure: err instanceof Error ? err.message : String(err) };
      } finally {
        await rm(audio, { force: true });
      }
    },
  };
}
