import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PermanentError } from '@reelforge/messaging';
import { invalidInput, retryable } from '../pipeline/errors.ts';
import { runFfmpeg } from '../render/run-ffmpeg.ts';
import type { Cue, Word } from './cue.ts';
import type { Transcriber } from './transcriber.ts';
import { apiErrorMessage } from '../pipeline/api-error-message.ts';

export interface SpeechToTextOptions {
  ffmpegPath: string;
  /** A Whisper-API-style endpoint, e.g. https://api.openai.com/v1/audio/transcriptions. */
  apiUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  /** The API's upload limit (OpenAI: 25 MB). */
  maxUploadBytes?: number;
}

const CODE = 'TRANSCRIBE_FAILED';
const AUDIO_FILE = 'speech.ogg';

interface VerboseJson {
  segments?: { start: number; end: number; text: string }[];
  words?: { word: string; start: number; end: number }[];
}

/** The API's segments as cues, each with the words whose middle falls inside it. */
function cuesFromVerboseJson(body: VerboseJson): Cue[] {
  const words = (body.words ?? []).filter((w) => Number.isFinite(w.start) && Number.isFinite(w.end) && w.word.trim());
  return (body.segments ?? [])
    .filter((s) => Number.isFinite(s.start) && s.end > s.start && s.text.trim())
    .map((s) => {
      const inside: Word[] = words
        .filter((w) => (w.start + w.end) / 2 >= s.start && (w.start + w.end) / 2 < s.end)
        .map((w) => ({ start: w.start, end: w.end, text: w.word.trim() }));
      return { start: s.start, end: s.end, text: s.text.trim(), ...(inside.length ? { words: inside } : {}) };
    });
}

/**
 * Transcribes a source with a Whisper-style speech-to-text API: the audio is extracted by ffmpeg
 * into the task's directory (mono 16 kHz Opus, ~3 kB/s, so 25 MB holds about 2 h), uploaded with
 * word timestamps asked for, and mapped to cues with words (for word-level highlight). Rejected
 * credentials are permanent; rate limits, 5xx, network errors and timeouts retry with the task.
 * The key goes in the header only, never in a message.
 */
export function createSpeechToTextTranscriber(o: SpeechToTextOptions): Transcriber {
  const maxBytes = o.maxUploadBytes ?? 25 * 1024 * 1024;
  return {
    transcribe: async ({ sourceFile, hasAudio }, signal) => {
      if (!hasAudio) return null;
      const cwd = dirname(sourceFile);
      await runFfmpeg(
        {
          inputs: [{ path: basename(sourceFile), kind: 'video', options: [] }],
          filterComplex: null,
          outputOptions: [
            '-vn',
            '-map',
            '0:a:0',
            '-ac',
            '1',
            '-ar',
            '16000',
            '-c:a',
            'libopus',
            '-b:a',
            '24k',
            '-f',
            'ogg',
          ],
          output: AUDIO_FILE,
        },
        { ffmpegPath: o.ffmpegPath, cwd, signal, expectedSeconds: 0 },
      );
      const audio = join(cwd, AUDIO_FILE);
      const { size } = await stat(audio);
      if (size > maxBytes)
        throw invalidInput(
          `the source's speech is ${Math.round(size / 1024 / 1024)} MB compressed, above the speech-to-text API's ${Math.round(maxBytes / 1024 / 1024)} MB: too long to transcribe`,
        );

      const form = new FormData();
      form.append('file', new Blob([await readFile(audio)], { type: 'audio/ogg' }), AUDIO_FILE);
      form.append('model', o.model);
      form.append('response_format', 'verbose_json');
      form.append('timestamp_granularities[]', 'word');
      form.append('timestamp_granularities[]', 'segment');
      let res: Response;
      try {
        res = await fetch(o.apiUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${o.apiKey}` },
          body: form,
          signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs)]),
        });
      } catch (err) {
        if (signal.aborted) throw err;
        const what =
          err instanceof Error && err.name === 'TimeoutError'
            ? `no answer within ${o.timeoutMs} ms`
            : 'cannot reach it';
        throw retryable(CODE, `speech-to-text API: ${what}`, err);
      }
      if (res.status === 401 || res.status === 403)
        throw new PermanentError(
          CODE,
          `speech-to-text API refused the credentials (HTTP ${res.status})${await apiErrorMessage(res)}`,
        );
      if (res.status === 429 || res.status >= 500)
        throw retryable(CODE, `speech-to-text API answered HTTP ${res.status}${await apiErrorMessage(res)}`);
      if (!res.ok)
        throw new PermanentError(CODE, `speech-to-text API answered HTTP ${res.status}${await apiErrorMessage(res)}`);
      const cues = cuesFromVerboseJson((await res.json()) as VerboseJson);
      return cues.length ? cues : null;
    },
  };
}
