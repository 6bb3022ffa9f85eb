import { open } from 'node:fs/promises';
import type { Cue } from './cue.ts';
import { CaptionsFormatError, parseCaptions } from './parse-captions.ts';

/** Where a clip's captions come from. */
export interface Transcriber {
  /** The source's transcript, or null when there is none (no captions: not a failure). */
  transcribe(
    input: { sourceFile: string; captionsFile: string | null; hasAudio: boolean },
    signal: AbortSignal,
  ): Promise<Cue[] | null>;
}

/** Supplied captions win; without them, speech-to-text when configured; otherwise no transcript. */
export function createTranscriber(o: { supplied: Transcriber; speech: Transcriber | null }): Transcriber {
  return {
    transcribe: (input, signal) =>
      input.captionsFile !== null || !o.speech
        ? o.supplied.transcribe(input, signal)
        : o.speech.transcribe(input, signal),
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
 * over 5 MB or in neither format: CaptionsFormatError, for the caller to fail or ignore.
 */
export function createSuppliedCaptionsTranscriber(): Transcriber {
  return {
    transcribe: async ({ captionsFile }, signal) => {
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
      return parseCaptions(decode(bytes));
    },
  };
}
