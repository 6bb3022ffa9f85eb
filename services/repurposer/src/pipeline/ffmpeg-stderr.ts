/**
 * The last meaningful lines of ffmpeg's stderr: what a person needs to see instead of
 * "ffmpeg exited with code 1". Drops progress lines, banners and blank lines.
 */
export function summarizeFfmpegStderr(stderr: string, maxLines = 3): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter(
      (l) =>
        l &&
        !/^(frame=|size=|video:|ffmpeg version|built with|configuration:|lib\w+\s+\d|Press \[q\]|Stream mapping|Input #|Output #|Duration:|Stream #|Metadata:|\w+\s*:)/.test(
          l,
        ),
    );
  return lines.slice(-maxLines).join(' | ').slice(0, 500) || 'ffmpeg failed without a message';
}

// "Format not on whitelist": an input in a container outside the allow-list (the probe names it first).
const CORRUPT_INPUT =
  /Format not on whitelist|Invalid data found|moov atom not found|could not find codec parameters|does not contain any stream|End of file|corrupt|error while decoding/i;

/** Whether an ffmpeg failure is the input's fault (retrying cannot help). */
export function isInputError(stderr: string): boolean {
  return CORRUPT_INPUT.test(stderr);
}
