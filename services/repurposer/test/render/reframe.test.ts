import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { outputSize, type RenderOptions } from '@reelforge/contracts';
import { reframeFilter, type ReframeMode } from '../../src/render/reframe.ts';

const run = promisify(execFile);

// Every width the API accepts must render in every mode on the real ffmpeg: a filter that refuses
// a small frame would fail a valid request after all its retries.
describe('reframe graphs at the edges of the accepted widths (real ffmpeg)', () => {
  const cases: { width: number; aspect: NonNullable<RenderOptions['aspect']>; source: string }[] = [64, 180, 3840].map(
    (width) => ({ width, aspect: '9:16', source: '320x180' }),
  );
  // fit_blur cuts its background from the fitted picture: sources narrower and much wider than the output.
  cases.push(
    { width: 180, aspect: '9:16', source: '180x320' },
    { width: 1080, aspect: '1:1', source: '1280x90' },
    { width: 640, aspect: '16:9', source: '90x1280' },
  );
  for (const mode of ['fit_blur', 'crop', 'pad', 'track'] as ReframeMode[]) {
    for (const { width, aspect, source } of cases) {
      it(`${mode} at ${width} wide (${aspect}) from ${source}`, async () => {
        const { width: W, height: H } = outputSize({ aspect, width });
        // track: a pan, then a cut, over the 0.4 s source.
        const trackPath = [
          { t: 0, x: 0.3 },
          { t: 0.2, x: 0.5 },
          { t: 0.2, x: 0.9 },
          { t: 0.4, x: 0.9 },
        ];
        const graph = reframeFilter(
          { mode, width: W, height: H, cropX: 0.5, padColor: '#000000', trackPath },
          '0:v',
          'v',
        );
        const { stderr } = await run(inject('ffmpegPath'), [
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          `testsrc2=size=${source}:rate=5:duration=0.4`,
          '-filter_complex',
          graph,
          '-map',
          '[v]',
          '-f',
          'null',
          '-',
        ]);
        expect(stderr).toBe('');
      });
    }
  }
});
