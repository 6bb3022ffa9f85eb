import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { readArticleBlocks, type ArticleImage } from './article-blocks.ts';
import type { DomDocument, DomElement } from './dom.ts';
import { ArticleExtractionError } from './errors.ts';
import { withDocumentShape } from './html-shape.ts';
import { countWords, normalizeWhitespace } from './text.ts';

export type { ArticleImage } from './article-blocks.ts';

/** The readable part of a web page: what a script is written from. */
export interface ExtractedArticle {
  title: string;
  byline: string | null;
  lang: string | null;
  siteName: string | null;
  paragraphs: string[];
  images: ArticleImage[];
  wordCount: number;
}

/** Fewer words than this is a teaser, a login wall or a link list: too little to narrate. */
export const MIN_ARTICLE_WORDS = 40;

// Never part of the article and never run: linkedom executes nothing, but removing them keeps their
// text (inline JSON, CSS) out of Readability's scoring. noscript stays: Readability takes the real
// <img> of lazy-loaded pictures from it.
const INERT = 'script, style, template, link';

// Labels that ad and paywall slots leave inside article markup, where Readability keeps them.
const BOILERPLATE =
  /^(advertisement|advert|ad|sponsored( content)?|story continues below( advertisement)?|continue reading( below)?|scroll to continue( with content)?)[.:…]*$/i;

/**
 * The article of an HTML page, found by Readability (Firefox's reader view) over a linkedom DOM.
 * Throws ArticleExtractionError when there is no article worth narrating. Pure and deterministic:
 * same page, same result; nothing is fetched or executed.
 */
export function extractArticle(html: string, pageUrl: string): ExtractedArticle {
  const { document } = parseHTML(withDocumentShape(html)) as unknown as { document: DomDocument };
  for (const el of Array.from(document.querySelectorAll(INERT))) el.remove();

  // Read the head before Readability runs: it rewrites the document as it goes.
  const base = baseUrl(document, pageUrl);
  const meta = (names: string[]) => firstMeta(document, names);
  const htmlLang = normalizeWhitespace(document.documentElement?.getAttribute('lang') ?? '') || null;
  const ogImage = meta(['og:image:secure_url', 'og:image', 'og:image:url', 'twitter:image', 'twitter:image:src']);
  const ogImageAlt = meta(['og:image:alt', 'twitter:image:alt']);
  const fallbackTitle =
    meta(['og:title', 'twitter:title']) ??
    (normalizeWhitespace(document.querySelector('title')?.textContent ?? '') || null);

  const parsed = readability(document);
  if (!parsed?.content) throw new ArticleExtractionError('the page has no readable article');

  const resolve = (raw: string) => absoluteHttpUrl(raw, base);
  const blocks = readArticleBlocks(parsed.content, resolve);
  const title = normalizeWhitespace(parsed.title ?? '') || fallbackTitle || '';
  const byline = normalizeWhitespace(parsed.byline ?? '') || null;
  // Readability sometimes keeps the headline and the byline inside the content: the script narrates
  // the title itself, and nobody wants "By Jane Doe" (or "Advertisement") read out.
  const repeats = new Set([title, byline].filter((s): s is string => !!s).map((s) => s.toLowerCase()));
  const paragraphs: string[] = [];
  const placed: number[] = []; // block paragraph index → index of the last kept paragraph at or before it
  for (const p of blocks.paragraphs) {
    if (!repeats.has(p.toLowerCase()) && !BOILERPLATE.test(p)) paragraphs.push(p);
    placed.push(paragraphs.length - 1);
  }
  const wordCount = paragraphs.reduce((n, p) => n + countWords(p), 0);
  if (wordCount < MIN_ARTICLE_WORDS) {
    throw new ArticleExtractionError(
      `the page has no readable article (found ${wordCount} word${wordCount === 1 ? '' : 's'})`,
    );
  }

  // Dropping repeated paragraphs shifts indexes: re-place each image after the same text.
  const images = blocks.images.map((img) => ({ ...img, paragraphIndex: placed[img.paragraphIndex] ?? -1 }));
  if (images.length === 0 && ogImage) {
    const url = resolve(ogImage);
    if (url) images.push({ url, alt: ogImageAlt, paragraphIndex: -1 });
  }

  return {
    title,
    byline,
    lang: htmlLang ?? (normalizeWhitespace(parsed.lang ?? '') || null),
    siteName: normalizeWhitespace(parsed.siteName ?? '') || null,
    paragraphs,
    images,
    wordCount,
  };
}

// Readability throws on documents it cannot walk: for the user, still a page without an article.
function readability(document: DomDocument) {
  try {
    return new Readability<DomElement>(document, {
      serializer: (node): DomElement => node as DomElement,
    }).parse();
  } catch (err) {
    throw new ArticleExtractionError('the page could not be read as an article', { cause: err });
  }
}

function firstMeta(document: DomDocument, names: string[]): string | null {
  for (const name of names) {
    for (const el of Array.from(document.querySelectorAll('meta'))) {
      if ((el.getAttribute('property') ?? el.getAttribute('name'))?.trim().toLowerCase() !== name) continue;
      const content = normalizeWhitespace(el.getAttribute('content') ?? '');
      if (content) return content;
    }
  }
  return null;
}

// Relative URLs in the page are relative to its <base href> when it has one.
function baseUrl(document: DomDocument, pageUrl: string): string {
  const href = document.querySelector('base[href]')?.getAttribute('href');
  if (!href) return pageUrl;
  return absoluteHttpUrl(href, pageUrl) ?? pageUrl;
}

function absoluteHttpUrl(raw: string, base: string): string | null {
  try {
    const url = new URL(raw, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
