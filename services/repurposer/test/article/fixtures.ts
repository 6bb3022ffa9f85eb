import { readFileSync } from 'node:fs';

/** An HTML page of `fixtures/`. */
export const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

export const NEWS_URL = 'https://www.harbourgazette.example/news/2025/03/solar-farm';
export const BLOG_URL = 'https://crumbandcrust.example/2025/02/why-sourdough/';
