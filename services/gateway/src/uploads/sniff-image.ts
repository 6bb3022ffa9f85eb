import { DomainError } from '@reelforge/contracts';
import { probeUpload } from './probe-upload.ts';

/** Larger than any logo needs; bounds what the render workers decode and scale. */
const MAX_IMAGE_SIDE = 4096;

export interface SniffedImage {
  width: number;
  height: number;
}

/** Reads an uploaded still image (PNG, JPEG or WebP, by content) and returns its size; too many pixels is a 422. */
export async function sniffImage(ffprobePath: string, file: string): Promise<SniffedImage> {
  const probed = await probeUpload(ffprobePath, file, 'image');
  const picture = probed.streams.find((s) => s.codecType === 'video');
  if (!picture?.width || !picture.height)
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'the file holds no picture (checked by its content, not its name)');
  if (picture.width > MAX_IMAGE_SIDE || picture.height > MAX_IMAGE_SIDE) {
    throw new DomainError(
      'UNPROCESSABLE',
      `the image is ${picture.width}×${picture.height} pixels; at most ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE} is accepted`,
      { field: 'body/file' },
    );
  }
  return { width: picture.width, height: picture.height };
}
