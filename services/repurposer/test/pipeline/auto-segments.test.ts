import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHarness,
  ffmpegRun,
  streamFacts,
  type Harness,
  type ProgressEvent,
} from '../support/pipeline-harness.ts';
import type { StoredClip } from '../../src/tasks/task-store.ts';

// A 40 s source with its structure planted at known times: scene cuts at 12, 24 and 33 s, a quiet
// second around 12 and 24 s, and a loud stretch from 24.5 to 33 s.
const CUTS = [12, 24, 33];
const BOUNDARIES = [0, ...CUTS, 40];

describe('pipeline without explicit segments: analysis picks, render cuts, progress tells', () => {
  let h: Harness;
  let clips: StoredClip[];
  let progress: ProgressEvent[];
  let source: string;

  beforeAll(async () => {
    h = await createHarness();
    const file = join(h.root, 'planted.mp4');
    const v = (src: string) => ['-f', 'lavfi', '-i', `${src}:s=320x180:r=25`];
    await ffmpegRun(h.ffmpeg, [
      ...v('testsrc2=d=12'),
      ...v('color=c=red:d=12'),
      ...v('smptebars=d=9'),
      ...v('color=c=blue:d=7'),
      '-f',
      'lavfi',
      '-i',
      "aevalsrc='if(between(t,11.5,12.5)+between(t,23.5,24.5),0,if(between(t,24.5,33),0.8,0.1))*sin(2*PI*440*t)':s=48000:d=40",
      '-filter_complex',
      '[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0[v]',
      '-map',
      '[v]',
      '-map',
      '4:a',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      file,
    ]);
    source = await h.upload(file, 'planted.mp4');
    ({ clips, progress } = await h.render(source, {
      width: 360,
      preset: 'ultrafast',
      clipCount: 2,
      minClipSeconds: 8,
      maxClipSeconds: 14,
    }));
  });
  afterAll(() => h.close());

  it('chooses non-overlapping segments that start and end on the planted boundaries, the loud one first by score', () => {
    expect(clips).toHaveLength(2);
    for (const clip of clips) {
      const [{ start, end }] = clip.segment as [{ start: number; end: number }];
      const nearest = (t: number) => Math.min(...BOUNDARIES.map((b) => Math.abs(b - t)));
      expect(nearest(start), `start ${start}`).toBeLessThanOrEqual(0.3);
      expect(nearest(end), `end ${end}`).toBeLessThanOrEqual(0.3);
      expect(end - start).toBeGreaterThanOrEqual(8 - 0.3);
      expect(end - start).toBeLessThanOrEqual(14 + 0.3);
      expect(clip.reason.length).toBeGreaterThan(0);
    }
    const [a, b] = clips.map((c) => c.segment[0]!);
    expect(a!.end <= b!.start || b!.end <= a!.start).toBe(true);
    const loud = clips.find(
      (c) => Math.abs(c.segment[0]!.start - 24) <= 0.3 && Math.abs(c.segment[0]!.end - 33) <= 0.3,
    );
    expect(loud, JSON.stringify(clips.map((c) => c.segment))).toBeDefined();
    expect(loud!.score).toBe(Math.max(...clips.map((c) => c.score ?? -Infinity)));
  });

  it('each clip is as long as its segment (±0.1 s) at the requested size', async () => {
    for (const clip of clips) {
      const facts = await streamFacts(h.ffprobe, h.store.pathOf(clip.mediaKey));
      const length = clip.segment[0]!.end - clip.segment[0]!.start;
      expect(
        Math.abs(facts.durationSeconds - length),
        `clip ${clip.clipIndex}: ${facts.durationSeconds} vs ${length}`,
      ).toBeLessThanOrEqual(0.1);
      expect(facts).toMatchObject({ width: 360, height: 640, videoCodec: 'h264', audioCodec: 'aac', faststart: true });
    }
  });

  it('progress goes through the stages in order, never backwards, with an ETA while rendering', () => {
    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(['downloading', 'probing', 'transcribing', 'analyzing', 'rendering', 'uploading']);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.percent, progress[i]!.message).toBeGreaterThanOrEqual(progress[i - 1]!.percent);
    expect(progress.at(-1)!.percent).toBeGreaterThanOrEqual(95);
    const etas = progress.filter((p) => p.stage === 'rendering' && p.etaSeconds !== null);
    expect(etas.length).toBeGreaterThan(0);
    expect(progress.filter((p) => p.stage === 'rendering').some((p) => /clip 2 of 2/.test(p.message))).toBe(true);
  });

  it('with captions off, a supplied transcript still chooses the moments and is not burned', async () => {
    const srt = join(h.root, 'said.srt');
    await writeFile(
      srt,
      '1\n00:00:01,000 --> 00:00:05,000\nHow to double your reach in three steps.\n\n' +
        '2\n00:00:05,000 --> 00:00:10,500\nWhy does nobody talk about this? Here is the secret.\n',
    );
    const captionsUrl = await h.upload(srt, 'said.srt');
    const options = { width: 360, preset: 'ultrafast' as const, clipCount: 2, minClipSeconds: 8, maxClipSeconds: 14 };
    const { clips: said } = await h.render(source, { ...options, captions: { enabled: false } }, { captionsUrl });
    expect(said).toHaveLength(2);
    for (const clip of said) expect(clip.captioned).toBe(false);
    // The first 12 s (the scene with the hook and the question) now score on what is said too.
    const spoken = said.find((c) => c.segment[0]!.start <= 1.3 && c.segment[0]!.end >= 10.2);
    expect(spoken, JSON.stringify(said.map((c) => [c.segment, c.reason]))).toBeDefined();
    expect(spoken!.reason).toContain('transcript:');
    // Without a transcript (the first render), no clip claims one.
    for (const clip of clips) expect(clip.reason).not.toContain('transcript:');
  });

  it('leaves nothing in the temp directory', async () => {
    expect(await h.leftovers()).toEqual([]);
  });
});
