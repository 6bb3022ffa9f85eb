import type { ArticleImage } from '../article-blocks.ts';

/**
 * The image each scene shows, given where each scene's text starts (paragraph index): the unused
 * image nearest at or before that paragraph, so a picture appears with the text it illustrated.
 * Images still unused then go to scenes still without one, nearest first (an article's pictures
 * are worth showing even when the script skipped the text beside them). Each image is used once;
 * equal distances go to the image earlier in the article, so the result is stable.
 */
export function assignImages(sceneParagraphs: number[], images: ArticleImage[]): (string | null)[] {
  const used = new Set<number>();
  const pick = (
    p: number,
    eligible: (img: ArticleImage) => boolean,
    distance: (img: ArticleImage) => number,
  ): number => {
    let best = -1;
    images.forEach((img, i) => {
      if (used.has(i) || !eligible(img)) return;
      if (best === -1 || distance(img) < distance(images[best]!)) best = i;
    });
    if (best !== -1) used.add(best);
    return best;
  };
  const chosen = sceneParagraphs.map((p) =>
    pick(
      p,
      (img) => img.paragraphIndex <= p,
      (img) => p - img.paragraphIndex,
    ),
  );
  const filled = chosen.map((c, s) =>
    c !== -1
      ? c
      : pick(
          sceneParagraphs[s]!,
          () => true,
          (img) => Math.abs(img.paragraphIndex - sceneParagraphs[s]!),
        ),
  );
  return filled.map((i) => (i === -1 ? null : images[i]!.url));
}
