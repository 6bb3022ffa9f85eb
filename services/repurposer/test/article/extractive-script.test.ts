import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { extractArticle, type ExtractedArticle } from '../../src/article/extract-article.ts';
import { writeExtractiveScript } from '../../src/article/script/extractive-script.ts';
import { VideoScript } from '../../src/article/script/scene.ts';
import { splitSentences } from '../../src/article/script/sentences.ts';
import { countWords } from '../../src/article/text.ts';
import { BLOG_URL, fixture, NEWS_URL } from './fixtures.ts';

const news = extractArticle(fixture('news-article.html'), NEWS_URL);
const blog = extractArticle(fixture('blog-og-image.html'), BLOG_URL);

// A long article (60 paragraphs, ~2,000 words) so that even 90 s cannot take everything.
const topics = ['harbour', 'ferry', 'bridge', 'tunnel', 'market', 'school', 'library', 'stadium', 'museum', 'station'];
const long: ExtractedArticle = {
  title: 'Harbour Ferry Service Returns After Ten Years',
  byline: null,
  lang: 'en',
  siteName: null,
  paragraphs: Array.from({ length: 60 }, (_, i) => {
    const t = topics[i % topics.length]!;
    return (
      `Paragraph ${i + 1} reports that the ${t} near the harbour ferry pier reopened on schedule after repairs costing 2.${i} million dollars. ` +
      `Dr. Ana Silva, who inspected the ${t}, said the work was finished early. Residents welcomed the news, e.g. at a meeting on Friday.`
    );
  }),
  images: [
    { url: 'https://img.example/lead.jpg', alt: 'lead', paragraphIndex: -1 },
    { url: 'https://img.example/p3.jpg', alt: null, paragraphIndex: 3 },
    { url: 'https://img.example/p4.jpg', alt: null, paragraphIndex: 4 },
    { url: 'https://img.example/p40.jpg', alt: null, paragraphIndex: 40 },
  ],
  wordCount: 0,
};

const narrationWords = (script: VideoScript) => script.scenes.reduce((n, s) => n + countWords(s.narration), 0);

/** The narration's sentences as positions in the article's sentence sequence (the title excluded). */
function articlePositions(article: ExtractedArticle, script: VideoScript): number[] {
  const all = article.paragraphs.flatMap(splitSentences);
  const said = script.scenes
    .flatMap((s) => splitSentences(s.narration))
    .filter((s) => !article.title.startsWith(s.replace(/\.$/, '')));
  return said.map((s) => {
    const at = all.indexOf(s);
    expect(at, `"${s}" is a sentence of the article`).toBeGreaterThanOrEqual(0);
    return at;
  });
}

describe('writeExtractiveScript', () => {
  it('is deterministic', () => {
    for (const article of [news, blog, long]) {
      for (const targetSeconds of [15, 45, 90]) {
        expect(writeExtractiveScript(article, { targetSeconds })).toEqual(
          writeExtractiveScript(structuredClone(article), { targetSeconds }),
        );
      }
    }
  });

  it('stays within the word budget, title included, and uses most of it', () => {
    for (const article of [news, blog, long]) {
      for (const targetSeconds of [15, 45, 90]) {
        const budget = Math.floor(targetSeconds * 2.6);
        const script = writeExtractiveScript(article, { targetSeconds });
        const words = narrationWords(script);
        expect(words, `${article.title} at ${targetSeconds} s`).toBeLessThanOrEqual(budget);
        if (article === long) expect(words).toBeGreaterThan(budget * 0.75);
      }
    }
    expect(narrationWords(writeExtractiveScript(long, { targetSeconds: 30, wordsPerSecond: 2 }))).toBeLessThanOrEqual(
      60,
    );
  });

  it('narrates the title first, then article sentences in article order', () => {
    for (const article of [news, blog, long]) {
      for (const targetSeconds of [15, 45, 90]) {
        const script = writeExtractiveScript(article, { targetSeconds });
        expect(script.scenes[0]!.narration.startsWith(article.title)).toBe(true);
        const positions = articlePositions(article, script);
        expect(positions.length).toBeGreaterThan(0);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);
      }
    }
  });

  it('opens with the lead sentence and skips datelines and subheadings', () => {
    const script = writeExtractiveScript(news, { targetSeconds: 45 });
    expect(script.scenes[0]!.narration).toBe(
      "City Council Approves Floating Solar Farm on Reservoir. The city council voted 9 to 2 on Thursday to build a floating solar farm on the Westbrook reservoir, a project officials say will supply about 3.5 percent of the city's electricity by 2027.",
    );
    const all = writeExtractiveScript(blog, { targetSeconds: 90 })
      .scenes.map((s) => s.narration)
      .join(' ');
    expect(all).not.toContain('What I learned in the first month');
    expect(
      writeExtractiveScript(news, { targetSeconds: 90 })
        .scenes.map((s) => s.narration)
        .join(' '),
    ).not.toContain('March 14, 2025');
  });

  it('keeps sentences whole across abbreviations and decimals', () => {
    const narration = writeExtractiveScript(news, { targetSeconds: 90 })
      .scenes.map((s) => s.narration)
      .join(' ');
    expect(narration).toContain('said Dr. Helen Marsh, who chairs');
    expect(narration).toContain('about 3.5 percent');
    expect(narration).toContain('abroad, e.g. in Japan');
  });

  it('makes scenes of one or two sentences, about one per 7 s, at least three when there is text', () => {
    // 15 s fits two of these sentences after the title: the title becomes a scene of its own.
    expect(writeExtractiveScript(long, { targetSeconds: 15 }).scenes[0]!.narration).toBe(`${long.title}.`);
    for (const targetSeconds of [15, 30, 45, 60, 90]) {
      const script = writeExtractiveScript(long, { targetSeconds });
      expect(script.scenes.length).toBeGreaterThanOrEqual(3);
      expect(script.scenes.length).toBeLessThanOrEqual(12);
      // One scene per sentence when there are fewer sentences than 7-second slots.
      const sentenceCount = articlePositions(long, script).length;
      expect(script.scenes.length).toBeGreaterThanOrEqual(
        Math.min(12, Math.max(3, Math.round(targetSeconds / 7)), sentenceCount),
      );
      script.scenes.forEach((scene, i) => {
        const sentences = splitSentences(scene.narration).length - (i === 0 ? 1 : 0);
        expect(sentences).toBeGreaterThanOrEqual(i === 0 ? 0 : 1); // scene 1 may be a title card
        expect(sentences).toBeLessThanOrEqual(2);
      });
    }
    expect(writeExtractiveScript(long, { targetSeconds: 90, maxScenes: 4 }).scenes.length).toBeLessThanOrEqual(4);
  });

  it('writes captions of at most 120 characters that shorten their scene cleanly', () => {
    for (const article of [news, blog, long]) {
      for (const targetSeconds of [15, 45, 90]) {
        for (const scene of writeExtractiveScript(article, { targetSeconds }).scenes) {
          expect(scene.caption.length).toBeLessThanOrEqual(120);
          expect(countWords(scene.caption)).toBeLessThanOrEqual(12);
          const stem = scene.caption.replace(/…$/, '');
          expect(scene.narration.startsWith(stem)).toBe(true);
          if (scene.caption.endsWith('…')) expect(scene.caption).not.toMatch(/[\s,;:]…$|\b(the|of|and|a)…$/);
        }
      }
    }
  });

  it('gives each image once, to the scene at or after the paragraph it follows; leftovers to scenes without one', () => {
    const script = writeExtractiveScript(long, { targetSeconds: 90 });
    const urls = script.scenes.map((s) => s.imageUrl).filter((u) => u !== null);
    expect(new Set(urls).size).toBe(urls.length);
    expect(script.scenes[0]!.imageUrl).toBe('https://img.example/lead.jpg');
    // Every image is shown unless every scene already has one.
    const unused = long.images.filter((img) => !urls.includes(img.url));
    expect(unused.length === 0 || script.scenes.every((s) => s.imageUrl !== null)).toBe(true);
    // The news story: lead photo with the lead, the panels photo from the engineers' paragraph on.
    const newsScript = writeExtractiveScript(news, { targetSeconds: 90 });
    expect(newsScript.scenes[0]!.imageUrl).toBe(news.images[0]!.url);
    const panels = newsScript.scenes.findIndex((s) => s.imageUrl === news.images[1]!.url);
    expect(panels).toBeGreaterThan(0);
    expect(newsScript.scenes[panels]!.narration).toMatch(/^Engineers from the water utility/);
    // og:image only: the first scene shows it, the others have none.
    const blogScript = writeExtractiveScript(blog, { targetSeconds: 45 });
    expect(blogScript.scenes.map((s) => s.imageUrl)).toEqual([
      blog.images[0]!.url,
      ...Array(blogScript.scenes.length - 1).fill(null),
    ]);
  });

  it('assigns the nearest earlier image, ties to the earlier one, and null when none is left', () => {
    const article: ExtractedArticle = {
      ...long,
      paragraphs: long.paragraphs.slice(0, 6).map((p) => p.split('. ')[0]! + '.'),
      images: [
        { url: 'https://img.example/a.jpg', alt: null, paragraphIndex: 1 },
        { url: 'https://img.example/b.jpg', alt: null, paragraphIndex: 1 },
        { url: 'https://img.example/c.jpg', alt: null, paragraphIndex: 5 },
      ],
    };
    const script = writeExtractiveScript(article, { targetSeconds: 90, maxScenes: 6 });
    expect(script.scenes).toHaveLength(6); // one sentence per paragraph, one per scene
    expect(script.scenes.map((s) => s.imageUrl)).toEqual([
      null,
      'https://img.example/a.jpg',
      'https://img.example/b.jpg',
      null,
      null,
      'https://img.example/c.jpg',
    ]);
  });

  it('produces a script valid against the schema, in the article language', () => {
    for (const article of [news, blog, long, { ...long, lang: null, title: '' }]) {
      const script = writeExtractiveScript(article, { targetSeconds: 45 });
      expect(Value.Check(VideoScript, script), JSON.stringify([...Value.Errors(VideoScript, script)].slice(0, 3))).toBe(
        true,
      );
      expect(script.source).toBe('extractive');
      expect(script.language).toBe(article.lang ?? 'und');
    }
  });

  it('rejects a target outside 15–90 s', () => {
    expect(() => writeExtractiveScript(news, { targetSeconds: 10 })).toThrow(RangeError);
    expect(() => writeExtractiveScript(news, { targetSeconds: 91 })).toThrow(RangeError);
    expect(() => writeExtractiveScript(news, { targetSeconds: Number.NaN })).toThrow(RangeError);
  });
});
