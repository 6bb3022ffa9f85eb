import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { runFfmpeg } from '../../src/render/run-ffmpeg.ts';

// The runner's error reporting on the real ffmpeg: what a person reads when a command fails.
describe('runFfmpeg errors', () => {
  let dir: string;
  const ffmpegPath = inject('ffmpegPath');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-run-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = (filterComplex: string, input = 'testsrc2=size=64x64:d=1') =>
    runFfmpeg(
      {
        inputs: [{ path: input, kind: 'generated', options: ['-f', 'lavfi'] }],
        filterComplex,
        outputOptions: ['-map', '[v]', '-f', 'null'],
        output: '/dev/null',
      },
      { ffmpegPath, cwd: dir, signal: new AbortController().signal, expectedSeconds: 1 },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  it('a broken filter graph is our failure, said in ffmpeg own words, not "exited with code 1", and retryable', async () => {
    const err = await run('[0:v]nosuchfilter[v]');
    expect(err).toBeInstanceOf(RetryableError);
    expect(err!.message).toMatch(/^ffmpeg failed: .*No such filter: 'nosuchfilter'/);
    expect(err!.message).not.toMatch(/exited with code/);
  });

  it('an input that is not media is the input fault: permanent, and names the problem', async () => {
    await writeFile(join(dir, 'notes.mp4'), 'not a video\n'.repeat(50));
    const err = await runFfmpeg(
      {
        inputs: [{ path: 'notes.mp4', kind: 'video', options: [] }],
        filterComplex: null,
        outputOptions: ['-f', 'null'],
        output: '/dev/null',
      },
      { ffmpegPath, cwd: dir, signal: new AbortController().signal, expectedSeconds: 1 },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.message).toMatch(/^ffmpeg could not read the source: .*Invalid data found when processing input/);
  });

  it('an input in a container off the allow-list is refused by ffmpeg itself, even if no probe ran first', async () => {
    await runFfmpeg(
      {
        inputs: [{ path: 'testsrc2=size=64x64:d=1', kind: 'generated', options: ['-f', 'lavfi'] }],
        filterComplex: null,
        outputOptions: ['-c:v', 'libx264', '-preset', 'ultrafast'],
        output: join(dir, 'secret.mp4'),
      },
      { ffmpegPath, cwd: dir, signal: new AbortController().signal, expectedSeconds: 1 },
    );
    await writeFile(join(dir, 'list.mp4'), `ffconcat version 1.0\nfile 'secret.mp4'\n`);
    const err = await runFfmpeg(
      {
        inputs: [{ path: 'list.mp4', kind: 'video', options: [] }],
        filterComplex: null,
        outputOptions: ['-c:v', 'libx264', '-preset', 'ultrafast'],
        output: join(dir, 'stolen.mp4'),
      },
      { ffmpegPath, cwd: dir, signal: new AbortController().signal, expectedSeconds: 1 },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.message).toMatch(/Format not on whitelist/);
    expect(existsSync(join(dir, 'stolen.mp4'))).toBe(false);
  });

  it('reports progress from ffmpeg stats lines, ending at 1', async () => {
    const seen: number[] = [];
    await runFfmpeg(
      {
        inputs: [{ path: 'testsrc2=size=320x180:d=3', kind: 'generated', options: ['-f', 'lavfi'] }],
        filterComplex: null,
        outputOptions: ['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'null'],
        output: '/dev/null',
      },
      {
        ffmpegPath,
        cwd: dir,
        signal: new AbortController().signal,
        expectedSeconds: 3,
        onProgress: (f) => seen.push(f),
      },
    );
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((f, i) => i === 0 || f >= seen[i - 1]!)).toBe(true);
  });
});
