import { join } from 'node:path';
import type { ArticleScript } from '@reelforge/contracts';
import { MediaProbeError, probeMedia } from '@reelforge/media-probe';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { fetchSource, type FetchLimits } from '../pipeline/fetch-source.ts';

/** Larger pictures are refused before decoding: a small PNG can unpack into gigabytes. */
const MAX_IMAGE_PIXELS = 40_000_000;
const IMAGE_FETCH_TIMEOUT_MS = 30_000;

export interface FetchedImages {
  /** Per scene: the image file (relative to the work directory) or null. */
  files: (string | null)[];
  wanted: number;
  used: number;
  /** What was left out and why, in words for the task's messages. */
  skipped: { url: string; reason: string }[];
}

const sameHost = (a: string, b: string) => {
  try {
    return new URL(a).host === new URL(b).host;
  } catch {
    return false;
  }
};

/** Downloads and checks one image; resolves with why it cannot be used, or null when it can. */
async function fetchImage(
  url: string,
  file: string,
  o: { articleUrl: string; fetchLimits: FetchLimits; maxBytes: number; ffprobePath: string; signal: AbortSignal },
): Promise<string | null> {
  // Only the hosts the article names are contacted; local development's private-address allowance
  // covers the article's own host, never an image URL pointing somewhere else inside the network.
  const allowPrivate = o.fetchLimits.allowPrivate && sameHost(url, o.articleUrl);
  try {
    await fetchSource(
      url,
      file,
      {
        ...o.fetchLimits,
        maxBytes: o.maxBytes,
        allowPrivate,
        timeoutMs: Math.min(o.fetchLimits.timeoutMs, IMAGE_FETCH_TIMEOUT_MS),
      },
      o.signal,
    );
    const probed = await probeMedia(o.ffprobePath, file, { kind: 'image', timeoutMs: 15_000, signal: o.signal });
    const picture = probed.streams.find((s) => s.codecType === 'video' && s.width > 0 && s.height > 0);
    if (!picture) return 'not an image';
    if (picture.width * picture.height > MAX_IMAGE_PIXELS) return `${picture.width}×${picture.height} is too large`;
    return null;
  } catch (err) {
    if (o.signal.aborted) throw err;
    if (err instanceof PermanentError || err instanceof RetryableError || err instanceof MediaProbeError)
      return err.message;
    throw err;
  }
}

/**
 * The script's images, each fetched once (size- and time-limited, address-checked, sniffed as
 * PNG/JPEG/WebP). An image that cannot be used is left out, not fatal: its scene gets a generated
 * background, and the reason is reported.
 */
export async function fetchArticleImages(
  script: ArticleScript,
  o: {
    articleUrl: string;
    fetchLimits: FetchLimits;
    maxBytes: number;
    maxImages: number;
    ffprobePath: string;
    work: string;
    signal: AbortSignal;
  },
): Promise<FetchedImages> {
  const urls = [...new Set(script.scenes.map((s) => s.imageUrl).filter((u): u is string => u !== null))].slice(
    0,
    o.maxImages,
  );
  const usable = new Map<string, string>();
  const skipped: FetchedImages['skipped'] = [];
  for (const [k, url] of urls.entries()) {
    const name = `image-${k}`;
    const problem = await fetchImage(url, join(o.work, name), o);
    if (problem === null) usable.set(url, name);
    else skipped.push({ url, reason: problem });
  }
  return {
    files: script.scenes.map((s) => (s.imageUrl ? (usable.get(s.imageUrl) ?? null) : null)),
    wanted: urls.length,
    used: usable.size,
    skipped,
  };
}
