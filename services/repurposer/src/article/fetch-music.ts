import { join } from 'node:path';
import { MediaProbeError, probeMedia } from '@reelforge/media-probe';
import { PermanentError } from '@reelforge/messaging';
import { TaskErrorCodes } from '../pipeline/errors.ts';
import { fetchSource, type FetchLimits } from '../pipeline/fetch-source.ts';

/**
 * Downloads the background music the caller asked for (size- and time-limited, address-checked
 * like a source) and checks it is audio through the audio demuxers only. Unlike an article's
 * images, music was asked for: an unusable file fails the task, saying why.
 */
export async function fetchMusic(
  url: string,
  o: { fetchLimits: FetchLimits; maxBytes: number; ffprobePath: string; work: string; signal: AbortSignal },
): Promise<string> {
  const name = 'music';
  await fetchSource(url, join(o.work, name), { ...o.fetchLimits, maxBytes: o.maxBytes }, o.signal);
  try {
    const probed = await probeMedia(o.ffprobePath, join(o.work, name), {
      kind: 'audio',
      timeoutMs: 15_000,
      signal: o.signal,
    });
    if (!probed.streams.some((s) => s.codecType === 'audio'))
      throw new PermanentError(TaskErrorCodes.INVALID_INPUT, 'the music has no audio stream');
  } catch (err) {
    if (err instanceof MediaProbeError && err.isInputFault)
      throw new PermanentError(TaskErrorCodes.INVALID_INPUT, `the music cannot be used: ${err.message}`, {
        cause: err,
      });
    throw err;
  }
  return name;
}
