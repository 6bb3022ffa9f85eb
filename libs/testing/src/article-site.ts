import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The three pictures of the test article: flat colours, so a frame shows which one is on screen. */
export const IMAGE_COLOURS = { red: [220, 30, 30], green: [30, 200, 60], blue: [30, 60, 220] } as const;

/** Writes a PNG of one flat colour (ffmpeg's lavfi colour source), landscape as press photos are. */
async function flatPng(ffmpeg: string, file: string, rgb: readonly [number, number, number]): Promise<void> {
  const hex = rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
  await run(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x${hex}:s=1200x800:d=1`,
    '-frames:v',
    '1',
    file,
  ]);
}

const PARAGRAPHS = [
  'City engineers in Lakeside have finished the first solar roof on a public library, and the building now produces more electricity than it uses on most sunny days.',
  'The project took eleven months and cost less than the council had planned. Workers covered the flat roof with four hundred panels and added a battery room in the basement.',
  'Librarians say the reading rooms are quieter and cooler than before, because the new roof also blocks much of the summer heat. Visitors have noticed the change.',
  'The council now wants to cover three more schools before the end of next year. Each school will share its spare power with homes on the same street through a small local grid.',
  'Critics worry about the cost of repairs when the panels age, but the engineers answer that the panels come with a long warranty and need little care beyond cleaning.',
  'Residents can visit the battery room on open days, which start next month. The city hopes that seeing the system up close will make more people install panels at home.',
];

/** A real-looking news page: navigation, an article with three figures, a footer, a script. */
export function articlePage(images: [string, string, string]): string {
  const [a, b, c] = images;
  const p = PARAGRAPHS.map((t) => `<p>${t}</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Library roof now powers itself | Lakeside Herald</title>
<meta property="og:site_name" content="Lakeside Herald"><script>window.tracking = true;</script></head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a> <a href="/login">Sign in</a></nav>
<main><article>
<h1>Library roof now powers itself</h1>
<p class="byline">By Dana Reyes</p>
${p[0]}
<figure><img src="${a}" alt="The library roof"><figcaption>The new roof.</figcaption></figure>
${p[1]}${p[2]}
<figure><img src="${b}" alt="The battery room"></figure>
${p[3]}${p[4]}
<figure><img src="${c}" alt="Open day"></figure>
${p[5]}
</article></main>
<footer>© Lakeside Herald. <a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>`;
}

/** A page with no article in it: a sign-in form. */
const LOGIN_PAGE = `<!doctype html><html lang="en"><head><title>Sign in</title></head><body>
<form><label>E-mail <input name="email"></label><label>Password <input type="password" name="pw"></label><button>Sign in</button></form>
<a href="/forgot">Forgot your password?</a></body></html>`;

/** Writes the article, its three images and the login page into `dir`; returns their file names. */
export async function writeArticleSite(
  ffmpeg: string,
  dir: string,
  imageUrls?: [string, string, string],
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [name, rgb] of Object.entries(IMAGE_COLOURS)) {
    files[`${name}.png`] = join(dir, `${name}.png`);
    await flatPng(ffmpeg, files[`${name}.png`]!, rgb);
  }
  files['article.html'] = join(dir, 'article.html');
  await writeFile(files['article.html'], articlePage(imageUrls ?? ['red.png', 'green.png', 'blue.png']));
  files['login.html'] = join(dir, 'login.html');
  await writeFile(files['login.html'], LOGIN_PAGE);
  return files;
}
