import { createEspeakSpeech } from './espeak-speech.ts';
import { createOpenAiSpeech } from './openai-speech.ts';
import type { Speech } from './speech.ts';

/** The speech settings, named as the service's configuration names them (read by the caller, not here). */
export interface SpeechConfig {
  /** The espeak-ng binary, used when no API is configured. */
  ESPEAK_NG_PATH: string;
  /** An OpenAI-compatible API base (https://api.openai.com/v1); with SPEECH_API_KEY, narration uses it. */
  SPEECH_API_URL?: string | undefined;
  /** Secret. */
  SPEECH_API_KEY?: string | undefined;
  /** The API's model (default tts-1). */
  SPEECH_MODEL?: string | undefined;
  /** The API's voice when a request names none (default alloy); espeak-ng's default is `en`. */
  SPEECH_VOICE?: string | undefined;
  /** Milliseconds for one API request. */
  SPEECH_TIMEOUT?: number | undefined;
}

/**
 * The API when both its URL and key are given, else the offline espeak-ng. Only one of the two is
 * a configuration mistake, refused at start rather than quietly narrating with the other engine.
 */
export function createSpeech(config: SpeechConfig): Speech {
  const url = config.SPEECH_API_URL?.trim() || undefined;
  const key = config.SPEECH_API_KEY?.trim() || undefined;
  if (url && key) {
    return createOpenAiSpeech({
      url,
      apiKey: key,
      model: config.SPEECH_MODEL?.trim() || 'tts-1',
      defaultVoice: config.SPEECH_VOICE?.trim() || 'alloy',
      timeoutMs: config.SPEECH_TIMEOUT ?? 120_000,
    });
  }
  if (url || key)
    throw new Error(
      `${url ? 'SPEECH_API_URL' : 'SPEECH_API_KEY'} is set but ${url ? 'SPEECH_API_KEY' : 'SPEECH_API_URL'} is not: set both to narrate with the speech API, or neither for espeak-ng`,
    );
  return createEspeakSpeech({ espeakPath: config.ESPEAK_NG_PATH });
}
