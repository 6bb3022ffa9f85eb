import { describe, expect, it } from 'vitest';
import { ArticleExtractionError } from '../../src/article/errors.ts';
import { extractArticle, MIN_ARTICLE_WORDS } from '../../src/article/extract-article.ts';
import { largestSrcsetCandidate } from '../../src/article/srcset.ts';
import { countWords } from '../../src/article/text.ts';
import { BLOG_URL, fixture, NEWS_URL } from './fixtures.ts';

const extractionError = (fn: () => unknown): ArticleExtractionError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ArticleExtractionError);
    return err as ArticleExtractionError;
  }
  throw new Error('expected an ArticleExtractionError');
};

describe('extractArticle: a news page with navigation, ads and scripts', () => {
  const article = extractArticle(fixture('news-article.html'), NEWS_URL);

  it('reads the metadata', () => {
    expect(article.title).toBe('City Council Approves Floating Solar Farm on Reservoir');
    expect(article.byline).toBe('Maria Okafor');
    expect(article.lang).toBe('en-US');
    expect(article.siteName).toBe('The Harbour Gazette');
  });

  it('keeps the story paragraphs, whitespace-normalised, and none of the page chrome', () => {
    const story = article.paragraphs.filter((p) => countWords(p) > 5);
    expect(story).toHaveLength(7);
    expect(story[0]).toBe(
      "The city council voted 9 to 2 on Thursday to build a floating solar farm on the Westbrook reservoir, a project officials say will supply about 3.5 percent of the city's electricity by 2027.",
    );
    expect(story.at(-1)).toMatch(/^Residents will be able to comment/);
    const text = article.paragraphs.join('\n');
    for (const junk of [
      'cookies',
      'Subscribe',
      'Related stories',
      'morning briefing',
      'All rights reserved',
      'dataLayer',
      'loadAd',
      'hijacked',
      'Advertisement',
      'Photo: Harbour Gazette',
    ]) {
      expect(text).not.toContain(junk);
    }
    for (const p of article.paragraphs) expect(p).toBe(p.replace(/\s+/g, ' ').trim());
    expect(article.paragraphs).not.toContain(article.title);
  });

  it('counts the words of the paragraphs', () => {
    expect(article.wordCount).toBe(article.paragraphs.reduce((n, p) => n + countWords(p), 0));
    expect(article.wordCount).toBeGreaterThan(250);
  });

  it('takes the body images: relative resolved, the largest srcset candidate, data: URIs and ads dropped', () => {
    const at = (start: string) => article.paragraphs.findIndex((p) => p.startsWith(start));
    expect(article.images).toEqual([
      {
        url: 'https://www.harbourgazette.example/news/2025/03/images/reservoir-aerial.jpg',
        alt: 'Aerial view of the Westbrook reservoir at dawn',
        paragraphIndex: at('The city council voted') - 1,
      },
      {
        url: 'https://cdn.harbourgazette.example/img/panels-1600.jpg',
        alt: 'Rows of floating solar panels on a test pond',
        paragraphIndex: at('Engineers from the water utility'),
      },
    ]);
  });

  it('is deterministic', () => {
    expect(extractArticle(fixture('news-article.html'), NEWS_URL)).toEqual(article);
  });
});

describe('extractArticle: a blog post whose only image is og:image', () => {
  const article = extractArticle(fixture('blog-og-image.html'), BLOG_URL);

  it('reads the post', () => {
    expect(article.title).toBe('Why I Switched to Sourdough Baking at Home');
    expect(article.siteName).toBe('Crumb & Crust');
    expect(article.lang).toBe('en');
    expect(article.paragraphs[0]).toMatch(/^For years I bought a sliced loaf/);
    expect(article.paragraphs.join(' ')).not.toMatch(/Archives|Powered by|Share this/);
  });

  it('falls back to og:image, resolved against the page, as the lead image', () => {
    expect(article.images).toEqual([
      {
        url: 'https://crumbandcrust.example/uploads/2025/02/sourdough-loaf.jpg',
        alt: 'A round sourdough loaf on a wooden board',
        paragraphIndex: -1,
      },
    ]);
  });
});

describe('extractArticle: pages without an article', () => {
  it('rejects a login page, saying how little text it found', () => {
    const err = extractionError(() => extractArticle(fixture('login-page.html'), 'https://portal.acme.example/login'));
    expect(err.reason).toMatch(/^the page has no readable article \(found \d+ words?\)$/);
    expect(Number(/found (\d+)/.exec(err.reason)?.[1])).toBeLessThan(MIN_ARTICLE_WORDS);
  });

  it('rejects a list of links', () => {
    const err = extractionError(() => extractArticle(fixture('link-list.html'), 'https://links.example/weekend'));
    expect(err.reason).toMatch(/^the page has no readable article/);
  });

  it('rejects an empty document', () => {
    const err = extractionError(() => extractArticle('', 'https://empty.example/'));
    expect(err.reason).toMatch(/^the page has no readable article/);
  });
});

describe('extractArticle: image details', () => {
  const page = (body: string, head = '') =>
    `<!doctype html><html><head><title>Test</title>${head}</head><body><article><h1>Test</h1>${body}</article></body></html>`;
  const para = (n: number) =>
    `<p>${`Paragraph ${n} has enough plain words to be read as part of the article body here. `.repeat(3)}</p>`;

  it('resolves against <base href>, drops duplicates, non-http schemes and tracking pixels', () => {
    const html = page(
      `${para(0)}<img src="a.jpg" alt="first"><img src="https://other.example/b.jpg"><img src="/media/a.jpg" alt="same again">` +
        `<img src="javascript:alert(1)"><img src="px.gif" width="1" height="1">${para(1)}`,
      '<base href="https://media.example/media/">',
    );
    expect(extractArticle(html, 'https://site.example/story').images).toEqual([
      { url: 'https://media.example/media/a.jpg', alt: 'first', paragraphIndex: 0 },
      { url: 'https://other.example/b.jpg', alt: null, paragraphIndex: 0 },
    ]);
  });

  it('uses the figcaption when an image has no alt, and places an image inside a paragraph after it', () => {
    const html = page(
      `${para(0)}<figure><img src="/f.jpg"><figcaption>The  harbour at night</figcaption></figure><p>Inline <img src="/i.jpg" alt="x"> ${para(2).slice(3)}`,
    );
    const { images } = extractArticle(html, 'https://site.example/story');
    expect(images).toEqual([
      { url: 'https://site.example/f.jpg', alt: 'The harbour at night', paragraphIndex: 0 },
      { url: 'https://site.example/i.jpg', alt: 'x', paragraphIndex: 1 },
    ]);
  });

  it('ignores og:image when the body has images', () => {
    const html = page(
      `${para(0)}<img src="/body.jpg">${para(1)}`,
      '<meta property="og:image" content="https://site.example/og.jpg">',
    );
    expect(extractArticle(html, 'https://site.example/story').images.map((i) => i.url)).toEqual([
      'https://site.example/body.jpg',
    ]);
  });
});

describe('largestSrcsetCandidate', () => {
  it('picks the widest, else the densest candidate', () => {
    expect(largestSrcsetCandidate('a.jpg 480w, b.jpg 1600w, c.jpg 800w')).toBe('b.jpg');
    expect(largestSrcsetCandidate('a.jpg, b.jpg 2x, c.jpg 1.5x')).toBe('b.jpg');
    expect(
      largestSrcsetCandidate('https://cdn.example/i.jpg?w=300,h=200 300w, https://cdn.example/i.jpg?w=900,h=600 900w'),
    ).toBe('https://cdn.example/i.jpg?w=900,h=600');
    expect(largestSrcsetCandidate('  ')).toBeNull();
  });
});
