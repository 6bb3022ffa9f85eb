import { DomainError } from '@reelforge/contracts';
import { MediaProbeError, probeMedia, type ProbedMedia } from '@reelforge/media-probe';
import type { UploadKind } from './upload-kind.ts';

/** Reading headers takes milliseconds; past this the file (or the machine) is not behaving. */
const SNIFF_TIMEOUT_MS = 30_000;

/**
 * ffprobe on an uploaded file through the allow-listed containers of its kind only. A file that is
 * not readable or not in an accepted container is a 415 saying why; our own trouble (no ffprobe, a
 * probe that does not finish) is a 503 naming the cause, never blamed on the file.
 */
export async function probeUpload(ffprobePath: string, file: string, kind: UploadKind): Promise<ProbedMedia> {
  try {
    return await probeMedia(ffprobePath, file, { kind, timeoutMs: SNIFF_TIMEOUT_MS });
  } catch (err) {
    if (!(err instanceof MediaProbeError)) throw err;
    if (err.isInputFault)
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `${err.message}; checked by its content, not its name`);
    throw new DomainError('SERVICE_UNAVAILABLE', `the upload could not be checked: ${err.message}`, undefined, {
      cause: err,
    });
  }
}
