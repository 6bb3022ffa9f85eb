import { isElement, TEXT_NODE, type DomElement, type DomNode } from './dom.ts';
import { largestSrcsetCandidate } from './srcset.ts';
import { normalizeWhitespace } from './text.ts';

/** An image of the article, placed after the paragraph it follows (-1: before the first paragraph). */
export interface ArticleImage {
  url: string;
  alt: string | null;
  paragraphIndex: number;
}

// Elements that end the running paragraph. Everything else (links, emphasis, spans) is inline and
// joins its neighbours' text.
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'figure',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
]);
// Never narrated: code, media and form controls Readability may leave behind, and figcaptions,
// which describe a picture (they become its alt text) rather than tell the story.
const SKIPPED = new Set([
  'audio',
  'button',
  'canvas',
  'embed',
  'figcaption',
  'form',
  'iframe',
  'input',
  'math',
  'noscript',
  'object',
  'script',
  'select',
  'style',
  'svg',
  'template',
  'textarea',
  'video',
]);

/**
 * Splits Readability's article element into paragraphs and the images between them, in document
 * order. `resolveUrl` turns an attribute into an absolute http(s) URL or null (data: URIs,
 * javascript:, unparsable); images resolving to null or to an URL already seen are dropped.
 */
export function readArticleBlocks(
  root: DomElement,
  resolveUrl: (raw: string) => string | null,
): { paragraphs: string[]; images: ArticleImage[] } {
  const paragraphs: string[] = [];
  const images: ArticleImage[] = [];
  const seen = new Set<string>();
  let running: string[] = [];
  let figureCaption: string | null = null;

  const flush = () => {
    const text = normalizeWhitespace(running.join(''));
    running = [];
    if (text) paragraphs.push(text);
  };

  const addImage = (img: DomElement) => {
    if (isTrackingPixel(img)) return;
    const srcset = img.getAttribute('srcset');
    const raw = (srcset && largestSrcsetCandidate(srcset)) || img.getAttribute('src') || '';
    const url = raw ? resolveUrl(raw.trim()) : null;
    if (!url || seen.has(url)) return;
    seen.add(url);
    // An image inside a paragraph that has begun follows that paragraph (it will be the next one).
    const inRunning = normalizeWhitespace(running.join('')) !== '';
    images.push({
      url,
      alt: normalizeWhitespace(img.getAttribute('alt') ?? '') || figureCaption,
      paragraphIndex: inRunning ? paragraphs.length : paragraphs.length - 1,
    });
  };

  const walk = (node: DomNode) => {
    if (node.nodeType === TEXT_NODE) {
      running.push(node.textContent ?? '');
      return;
    }
    if (!isElement(node)) return;
    const tag = node.localName.toLowerCase();
    if (SKIPPED.has(tag)) return;
    if (tag === 'img') {
      addImage(node);
      return;
    }
    if (tag === 'br') {
      running.push(' ');
      return;
    }
    const block = BLOCKS.has(tag);
    if (block) flush();
    const outerCaption = figureCaption;
    if (tag === 'figure')
      figureCaption = normalizeWhitespace(node.querySelector('figcaption')?.textContent ?? '') || null;
    for (const child of Array.from(node.childNodes)) walk(child);
    figureCaption = outerCaption;
    if (block) flush();
  };

  walk(root);
  flush();
  return { paragraphs, images };
}

// 1×1 beacons survive Readability when they sit inside the article's markup.
function isTrackingPixel(img: DomElement): boolean {
  const size = (name: string) => Number.parseInt(img.getAttribute(name) ?? '', 10);
  return size('width') <= 2 || size('height') <= 2;
}
