import type { FfmpegCommand } from './ffmpeg-command.ts';

/**
 * A representative JPEG of a rendered clip, same aspect, at most 540 wide. It looks from 30 % in
 * (past the fade and the title's entrance) and lets the `thumbnail` filter pick the most typical
 * of the next 25 frames, downscaled first so its frame buffer stays small.
 */
export function buildThumbnailCommand(
  clip: string,
  clipSeconds: number,
  size: { width: number; height: number },
  output: string,
): FfmpegCommand {
  const width = Math.min(540, size.width);
  const height = Math.round((size.height * width) / size.width / 2) * 2;
  return {
    inputs: [{ path: clip, kind: 'video', options: ['-ss', (clipSeconds * 0.3).toFixed(3)] }],
    filterComplex: null,
    outputOptions: [
      '-an',
      '-vf',
      `scale=${width}:${height},thumbnail=25`,
      '-frames:v',
      '1',
      '-q:v',
      '3',
      '-f',
      'image2',
    ],
    output,
  };
}
