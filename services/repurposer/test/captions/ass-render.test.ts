import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildAssDocument, resolveCaptionStyle } from '../../src/captions/ass-document.ts';
import { filterPath } from '../../src/render/ffmpeg-command.ts';

const run = promisify(execFile);
const ffmpeg = inject('ffmpegPath');
const W = 360;
const H = 640;

/** One frame of a blue 360×640 picture, optionally through `-vf`, as raw RGB. */
async function frame(filter: string | null): Promise<Buffer> {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', `color=c=blue:s=${W}x${H}:d=1`];
  if (filter) args.push('-vf', filter);
  args.push('-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const { stdout } = await run(ffmpeg, args, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  expect(stdout.length).toBe(W * H * 3);
  return stdout;
}

/** Share of pixels in rows [from, to) that differ noticeably between two frames. */
function changed(a: Buffer, b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from * W * 3; i < to * W * 3; i += 3) {
    if (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!) > 48) n++;
  }
  return n / ((to - from) * W);
}

describe('ASS captions through ffmpeg', () => {
  let dir: string;
  beforeAll(async () => {
    // A directory name the filtergraph would choke on unescaped.
    dir = await mkdtemp(join(tmpdir(), "reelforge-ass-it's:a,b[c]-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('burns the caption into the bottom band, highlighted word included, and leaves the top alone', async () => {
    const output = { width: W, height: H };
    const style = resolveCaptionStyle({ font: { size: 150 } }, output);
    const file = join(dir, 'captions.ass');
    const words = [
      { start: 0, end: 0.5, text: 'Burned' },
      { start: 0.5, end: 1, text: 'captions' },
    ];
    await writeFile(file, buildAssDocument([{ start: 0, end: 1, text: 'Burned captions', words }], style, output));

    const plain = await frame(null);
    const captioned = await frame(`ass=${filterPath(file)}`);
    expect(changed(plain, captioned, Math.round(H * 0.6), H)).toBeGreaterThan(0.02);
    expect(changed(plain, captioned, 0, Math.round(H * 0.4))).toBe(0);
    // The first word is highlighted at t=0: yellow (#FFE000) pixels, next to white ones.
    let yellow = 0;
    let white = 0;
    for (let i = 0; i < captioned.length; i += 3) {
      const [r, g, b] = [captioned[i]!, captioned[i + 1]!, captioned[i + 2]!];
      if (r > 220 && g > 190 && b < 80) yellow++;
      if (r > 220 && g > 220 && b > 220) white++;
    }
    expect(yellow).toBeGreaterThan(100);
    expect(white).toBeGreaterThan(100);
  });
});
