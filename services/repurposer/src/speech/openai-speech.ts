import { rename, rm, writeFile } from 'node:fs/promises';
import { DEFAULT_RATE_WPM, SpeechError, type Speech, type SpeechInput, type SpeechResult } from './speech.ts';
import { findSilences, parseWav, WavFormatError, type WavInfo } from './wav.ts';
import { estimateSyllables, placeWords, proportionalSpans, tokenize } from './word-timing.ts';
import type { Word } from '../captions/cue.ts';
import { apiErrorMessage } from '../pipeline/api-error-message.ts';

export interface OpenAiSpeechOptions {
  /** The API base, e.g. https://api.openai.com/v1: the request goes to `${url}/audio/speech`. */
  url: string;
  /** Secret: sent in the Authorization header only, never in a message. */
  apiKey: string;
  model: string;
  /** The voice used when a request names none. */
  defaultVoice: string;
  /** For the whole request, answer included. */
  timeoutMs: number;
  /** The API's input limit (OpenAI: 4096 characters). */
  maxChars?: number;
  /** A larger answer is refused (a runaway or wrong endpoint). */
  maxBytes?: number;
}

/** OpenAI's speed range; the interface's rate (words per minute) maps to `rate / 175`. */
const MIN_SPEED = 0.25;
const MAX_SPEED = 4;
const VOICE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The body, refused past `max` bytes without reading it all into memory first. */
async function readCapped(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max)
    throw new SpeechError('failed', `speech API answered ${declared} bytes, above the ${max} accepted`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) throw new SpeechError('failed', `speech API answered more than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Narration from an OpenAI-compatible text-to-speech API (`POST ${url}/audio/speech`, WAV answer).
 * Rejected credentials (401/403) and refused requests (other 4xx) are permanent; rate limits
 * (429), server errors, network errors and timeouts are not. The duration is measured from the
 * WAV's samples.
 *
 * Word timing is an estimate, not a measurement: this API returns no word marks. Words get time in
 * proportion to their syllable count over the audio's sound (leading, trailing and inner pauses
 * measured in the samples and left out), and a word boundary after punctuation near a measured
 * pause is pinned to it, so sentence and clause starts are right and words in between drift by a
 * fraction of a word.
 */
export function createOpenAiSpeech(o: OpenAiSpeechOptions): Speech {
  const endpoint = `${o.url.replace(/\/+$/, '')}/audio/speech`;
  const maxChars = o.maxChars ?? 4096;
  const maxBytes = o.maxBytes ?? 200 * 1024 * 1024;

  return {
    synthesize: async (input: SpeechInput, signal: AbortSignal): Promise<SpeechResult> => {
      if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: signal.reason });
      const text = input.text.trim();
      if (!text) throw new SpeechError('invalid-input', 'there is no text to speak');
      if (text.length > maxChars)
        throw new SpeechError(
          'invalid-input',
          `the text is ${text.length} characters, above the speech API's ${maxChars}`,
        );
      const voice = input.voice ?? o.defaultVoice;
      if (!VOICE_PATTERN.test(voice))
        throw new SpeechError('invalid-input', `"${voice}" is not a voice name the speech API can have`);
      const speed = input.rate === null ? 1 : input.rate / DEFAULT_RATE_WPM;
      if (!Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED) {
        throw new SpeechError(
          'invalid-input',
          `the speaking rate ${input.rate} is outside what the speech API can do (${MIN_SPEED * DEFAULT_RATE_WPM}–${MAX_SPEED * DEFAULT_RATE_WPM} words per minute)`,
        );
      }

      const timeout = AbortSignal.timeout(o.timeoutMs);
      const both = AbortSignal.any([signal, timeout]);
      const fail = (err: unknown): never => {
        if (err instanceof SpeechError) throw err;
        if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: err });
        if (timeout.aborted)
          throw new SpeechError('failed', `speech API: no answer within ${o.timeoutMs} ms`, { cause: err });
        throw new SpeechError('failed', 'speech API: cannot reach it', { cause: err });
      };
      let body: Buffer;
      try {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json', accept: 'audio/wav' },
          body: JSON.stringify({ model: o.model, input: text, voice, response_format: 'wav', speed }),
          signal: both,
        });
        if (res.status === 401 || res.status === 403)
          throw new SpeechError(
            'unavailable',
            `speech API refused the credentials (HTTP ${res.status})${await apiErrorMessage(res)}`,
          );
        if (res.status === 429 || res.status >= 500)
          throw new SpeechError('failed', `speech API answered HTTP ${res.status}${await apiErrorMessage(res)}`);
        if (!res.ok)
          throw new SpeechError(
            'invalid-input',
            `speech API refused the request (HTTP ${res.status})${await apiErrorMessage(res)}`,
          );
        body = await readCapped(res, maxBytes);
      } catch (err) {
        return fail(err);
      }

      let info;
      try {
        info = parseWav(body);
      } catch (err) {
        if (err instanceof WavFormatError)
          throw new SpeechError(
            'unavailable',
            `speech API did not answer with WAV audio (${err.message}): check SPEECH_API_URL`,
            { cause: err },
          );
        throw err;
      }
      if (info.frames === 0) throw new SpeechError('failed', 'speech API answered with empty audio');

      const tmp = `${input.outFile}.partial`;
      try {
        await writeFile(tmp, body);
        if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: signal.reason });
        await rename(tmp, input.outFile);
      } catch (err) {
        await rm(tmp, { force: true });
        if (err instanceof SpeechError) throw err;
        throw new SpeechError(
          'failed',
          `could not write the speech file: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      return { file: input.outFile, seconds: info.seconds, words: estimateWords(text, body, info) };
    },
  };
}

/** Syllable-proportional words over the measured sound, pinned to pauses at punctuation. */
function estimateWords(text: string, body: Buffer, info: WavInfo): Word[] {
  const tokens = tokenize(text);
  // Pauses a listener hears (not the short stops inside words).
  const pauses = findSilences(body, info, { thresholdDb: -45, minSeconds: 0.18 }) ?? [];
  const sound = info.seconds - pauses.reduce((a, p) => a + p.end - p.start, 0);
  const spans = proportionalSpans(tokens.map(estimateSyllables), sound);
  return placeWords(
    tokens,
    spans,
    sound,
    { seconds: info.seconds, pauses },
    { tolerance: 0.12, punctuationTolerance: 0.8 },
  );
}
