import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { outputSize } from '@reelforge/contracts';
import { reframeFilter, type ReframeMode } from '../../src/render/reframe.ts';

const run = promisify(execFile);

// Every width the API accepts must render in every mode on the real ffmpeg: a filter that refuses
// a small frame would fail a valid request after all its retries.
describe('reframe graphs at the edges of the accepted widths (real ffmpeg)', () => {
  for (const mode of ['fit_blur', 'crop', 'pad', 'track'] as ReframeMode[]) {
    for (const width of [64, 180, 3840]) {
      it(`${mode} at ${width} wide (9:16)`, async () => {
        const { width: W, height: H } = outputSize({ aspect: '9:16', width });
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
          'testsrc2=size=320x180:rate=5:duration=0.4',
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
