import { open } from 'node:fs/promises';
import type { Cue } from './cue.ts';
import type { CaptionAligner } from './local-speech/caption-aligner.ts';
import { CaptionsFormatError, parseCaptions } from './parse-captions.ts';

/** Where a clip's captions come from. */
export interface Transcriber {
  /** The source's transcript, or null when there is none (no captions: not a failure). */
  transcribe(
    input: { sourceFile: string; captionsFile: string | null; hasAudio: boolean },
    signal: AbortSignal,
  ): Promise<Cue[] | null>;
  /** What transcribe will do for a task, in words for its progress ("transcribing speech locally…"). */
  describe?(input: { captionsFile: string | null }): string;
}

/** The progress detail of a task whose source gets no captions because nothing can transcribe it. */
export const NO_SPEECH_TO_TEXT =
  'no captions: no captions file was given and no speech-to-text is configured (WHISPER_MODEL_PATH or TRANSCRIBE_API_URL)';

/** Why a task that wanted captions got none, for its progress detail (no captions is not a failure). */
export function noCaptionsReason(t: Transcriber, captionsFile: string | null, hasAudio: boolean): string {
  if (captionsFile !== null) return 'no captions: the captions file holds none';
  if (t.describe?.({ captionsFile }) === NO_SPEECH_TO_TEXT) return NO_SPEECH_TO_TEXT;
  return hasAudio ? 'no captions: no speech was recognised' : 'no captions: the source has no audio';
}

/**
 * Supplied captions win (they are what the creator wrote); without them, local whisper.cpp when a
 * model is configured (free, private, no upload limit), else the speech-to-text API when one is
 * configured; otherwise no transcript.
 */
export function createTranscriber(o: {
  supplied: Transcriber;
  local?: Transcriber | null;
  speech: Transcriber | null;
}): Transcriber {
  const engine = o.local ?? o.speech;
  return {
    transcribe: (input, signal) =>
      input.captionsFile !== null || !engine ? o.supplied.transcribe(input, signal) : engine.transcribe(input, signal),
    describe: (input) =>
      input.captionsFile !== null
        ? (o.supplied.describe?.(input) ?? 'reading the captions')
        : engine
          ? (engine.describe?.(input) ?? 'transcribing speech')
          : NO_SPEECH_TO_TEXT,
  };
}

/** Caption files are text: anything bigger is not one, and must not be read into memory. */
export const MAX_CAPTIONS_BYTES = 5 * 1024 * 1024;

// Windows-1252's 0x80–0x9F (curly quotes, dashes, €): Node's TextDecoder('windows-1252') reads
// them as Latin-1 control characters. The five unassigned bytes stay as they are.
const CP1252_HIGH = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8DŽ\x8F\x90‘’“”•–—˜™š›œ\x9DžŸ';

/** Bytes to text: UTF-16 when its BOM says so, UTF-8 when valid, else Windows-1252 (old SRT files). */
function decode(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes)
      .toString('latin1')
      .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
  }
}

/**
 * Reads the caption file supplied with the source (SRT or WebVTT). No file: null. A file
 * over 5 MB or in neither format: CaptionsFormatError, for the caller to fail or ignore. With an
 * aligner, cues without word timing get it from the audio (caption-aligner.ts); an alignment that
 * fails leaves them as they were (told to `warn`), never failing the task.
 */
export function createSuppliedCaptionsTranscriber(
  o: { aligner?: CaptionAligner | null; warn?: (message: string) => void } = {},
): Transcriber {
  return {
    describe: () =>
      o.aligner ? 'reading the captions and aligning their words to the speech' : 'reading the captions',
    transcribe: async ({ captionsFile, sourceFile, hasAudio }, signal) => {
      if (captionsFile === null) return null;
      signal.throwIfAborted();
      const file = await open(captionsFile, 'r');
      let bytes: Uint8Array;
      try {
        // Read one byte past the cap instead of trusting stat: the size is what actually arrives.
        const buffer = Buffer.alloc(MAX_CAPTIONS_BYTES + 1);
        let length = 0;
        while (length < buffer.length) {
          const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
          if (bytesRead === 0) break;
          length += bytesRead;
          signal.throwIfAborted();
        }
        if (length > MAX_CAPTIONS_BYTES)
          throw new CaptionsFormatError(`the captions file is larger than ${MAX_CAPTIONS_BYTES / 1024 / 1024} MB`);
        bytes = buffer.subarray(0, length);
      } finally {
        await file.close();
      }
      const cues = parseCaptions(decode(bytes));
      if (!o.aligner || !hasAudio || cues.length === 0) return cues;
      const result = await o.aligner.align(sourceFile, cues, signal);
      if (result.failure) o.warn?.(`captions keep no word timing: aligning them failed: ${result.failure}`);
      return result.cues;
    },
  };
}
