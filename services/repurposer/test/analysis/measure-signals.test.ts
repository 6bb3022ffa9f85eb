import { execFile } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chooseSegments } from '../../src/analysis/choose-segments.ts';
import { buildSignalsCommand, measureSignals, type MeasureSignalsOptions } from '../../src/analysis/measure-signals.ts';
import type { Signals } from '../../src/analysis/signals.ts';

const run = promisify(execFile);

// The planted source: 40 s at 320×180, four very different scenes cut at 12, 24 and 33 s; a 440 Hz
// tone, 17 dB louder in 12.5–23.5 s, with exact silences around the first two cuts and one inside
// the last scene.
const DURATION = 40;
const CUTS = [12, 24, 33];
const SILENCES = [
  { start: 11.5, end: 12.5 },
  { start: 23.5, end: 24.5 },
  { start: 36, end: 36.6 },
];
const LOUD = { start: 12.5, end: 23.5 };
// Where a clip may start or end: the edges, the silences' middles, the cuts.
const BOUNDARIES = [0, DURATION, 12, 24, 33, 36.3];

const silentExpr = SILENCES.map((s) => `between(t,${s.start},${s.end})`).join('+');
const AUDIO = `aevalsrc='if(${silentExpr},0,if(between(t,${LOUD.start},${LOUD.end}),0.7,0.1)*sin(2*PI*440*t))':s=48000:d=${DURATION}`;

async function makePlantedSource(
  ffmpeg: string,
  dir: string,
): Promise<{ withAudio: string; videoOnly: string; stream: string }> {
  const withAudio = join(dir, 'planted.mp4');
  const size = 's=320x180:r=25';
  await run(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=${size}:d=12`,
    '-f',
    'lavfi',
    '-i',
    `color=c=red:${size}:d=12`,
    '-f',
    'lavfi',
    '-i',
    `smptebars=${size}:d=9`,
    '-f',
    'lavfi',
    '-i',
    `mandelbrot=${size},trim=duration=7`,
    '-f',
    'lavfi',
    '-i',
    AUDIO,
    '-filter_complex',
    '[1:v]noise=alls=30:allf=t[red];[0:v][red][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v]',
    '-map',
    '[v]',
    '-map',
    '4:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    withAudio,
  ]);
  const videoOnly = join(dir, 'video-only.mp4');
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', withAudio, '-c', 'copy', '-an', videoOnly]);
  // MPEG-TS reads from a pipe as it comes: the abort test feeds it through a FIFO.
  const stream = join(dir, 'planted.ts');
  await run(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    withAudio,
    '-c',
    'copy',
    '-f',
    'mpegts',
    stream,
  ]);
  return { withAudio, videoOnly, stream };
}

/** Processes whose command line names `path` (this test's own temp files: nobody else's). */
function processesUsing(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(path)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('measureSignals (real ffmpeg)', () => {
  const ffmpegPath = inject('ffmpegPath');
  let dir: string;
  let source: { withAudio: string; videoOnly: string; stream: string };
  let signals: Signals;
  const progress: number[] = [];
  const base = (): Omit<MeasureSignalsOptions, 'input' | 'hasAudio' | 'signal'> => ({
    ffmpegPath,
    durationSeconds: DURATION,
    threads: 2,
    onProgress: () => {},
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analysis-test-'));
    source = await makePlantedSource(ffmpegPath, dir);
    const started = performance.now();
    signals = await measureSignals({
      ...base(),
      input: source.withAudio,
      hasAudio: true,
      signal: new AbortController().signal,
      onProgress: (f) => progress.push(f),
    });
    console.log(`measureSignals: ${DURATION} s at 320×180 in ${Math.round(performance.now() - started)} ms`);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the planted scene cuts, and nothing else', () => {
    for (const cut of CUTS)
      expect(
        signals.sceneCuts.some((t) => Math.abs(t - cut) <= 0.1),
        `cut at ${cut} s in ${signals.sceneCuts}`,
      ).toBe(true);
    for (const t of signals.sceneCuts)
      expect(
        CUTS.some((cut) => Math.abs(t - cut) <= 0.5),
        `spurious cut at ${t} s`,
      ).toBe(true);
  });

  it('finds the planted silences', () => {
    expect(signals.silences).toHaveLength(SILENCES.length);
    for (const [i, planted] of SILENCES.entries()) {
      expect(signals.silences[i]!.start).toBeGreaterThanOrEqual(planted.start - 0.1);
      expect(signals.silences[i]!.start).toBeLessThanOrEqual(planted.start + 0.1);
      expect(signals.silences[i]!.end).toBeGreaterThanOrEqual(planted.end - 0.1);
      expect(signals.silences[i]!.end).toBeLessThanOrEqual(planted.end + 0.1);
    }
  });

  it('samples momentary loudness about every 0.1 s, and the loud section reads louder', () => {
    expect(signals.loudness.length).toBeGreaterThan(350);
    expect(signals.loudness.length).toBeLessThan(420);
    for (let i = 1; i < signals.loudness.length; i++)
      expect(signals.loudness[i]!.t).toBeGreaterThan(signals.loudness[i - 1]!.t);
    for (const p of signals.loudness) expect(Number.isFinite(p.lufs)).toBe(true);
    const level = (from: number, to: number) =>
      mean(signals.loudness.filter((p) => p.t >= from && p.t <= to).map((p) => p.lufs));
    const loud = level(13, 23);
    const quiet = level(1, 11);
    // 0.7 against 0.1 of full scale: 16.9 dB.
    expect(loud - quiet).toBeGreaterThan(14);
    expect(loud - quiet).toBeLessThan(20);
    // Inside a planted silence: ebur128's floor.
    expect(level(12, 12)).toBeLessThan(-70);
  });

  it('reports progress up to 1', () => {
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(progress[progress.length - 1]).toBe(1);
  });

  it('lets chooseSegments cut on the planted boundaries, with the loud section on top', () => {
    const segments = chooseSegments(signals, { count: 2, minSeconds: 8, maxSeconds: 14 });
    expect(segments).toHaveLength(2);
    for (const s of segments) {
      expect(
        BOUNDARIES.some((b) => Math.abs(b - s.start) <= 0.3),
        `start ${s.start}`,
      ).toBe(true);
      expect(
        BOUNDARIES.some((b) => Math.abs(b - s.end) <= 0.3),
        `end ${s.end}`,
      ).toBe(true);
    }
    const top = [...segments].sort((a, b) => b.score - a.score)[0]!;
    expect(Math.abs(top.start - 12)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(top.end - 24)).toBeLessThanOrEqual(0.3);
    expect(top.reason).toMatch(/^loud/);
  });

  it('measures a source without audio: scene cuts only', async () => {
    const videoOnly = await measureSignals({
      ...base(),
      input: source.videoOnly,
      hasAudio: false,
      signal: new AbortController().signal,
    });
    expect(videoOnly.loudness).toEqual([]);
    expect(videoOnly.silences).toEqual([]);
    expect(videoOnly.sceneCuts).toHaveLength(CUTS.length);
    for (const [i, cut] of CUTS.entries()) expect(Math.abs(videoOnly.sceneCuts[i]! - cut)).toBeLessThanOrEqual(0.1);
  });

  it('SIGKILLs ffmpeg mid-run on abort and rejects at once with FFMPEG_KILLED', async () => {
    // The source arrives through a FIFO, 2% every 100 ms: ffmpeg is certainly mid-file when aborted.
    const fifo = join(dir, 'slow.ts');
    await run('mkfifo', [fifo]);
    const controller = new AbortController();
    let progressed!: () => void;
    const midRun = new Promise<void>((resolve) => (progressed = resolve));
    const pending = measureSignals({
      ...base(),
      input: fifo,
      hasAudio: true,
      signal: controller.signal,
      onProgress: (f) => f > 0 && f < 1 && progressed(),
    });
    pending.catch(() => {});
    const writer = createWriteStream(fifo);
    writer.on('error', () => {}); // EPIPE once ffmpeg is gone
    const bytes = readFileSync(source.stream);
    const chunk = Math.ceil(bytes.length / 50);
    let feeding = true;
    const feed = (async () => {
      for (let at = 0; feeding && at < bytes.length; at += chunk) {
        writer.write(bytes.subarray(at, at + chunk));
        await sleep(100);
      }
    })();
    try {
      await Promise.race([midRun, sleep(20_000).then(() => Promise.reject(new Error('no progress from ffmpeg')))]);
      const [pid] = processesUsing(fifo);
      expect(pid, 'ffmpeg is running').toBeDefined();

      const aborted = performance.now();
      controller.abort();
      const outcome = await Promise.race([
        pending.then(
          () => 'resolved',
          (err: unknown) => err,
        ),
        sleep(2000).then(() => 'still running after 2 s'),
      ]);
      expect(outcome).toMatchObject({ code: 'FFMPEG_KILLED' });
      expect(performance.now() - aborted).toBeLessThan(2000);
      expect(() => process.kill(pid!, 0)).toThrow();
      expect(processesUsing(fifo)).toEqual([]);
    } finally {
      controller.abort();
      feeding = false;
      await feed;
      writer.destroy();
    }
  });

  it('builds one command: a video-only source gets no audio filters, thresholds reach the graph', () => {
    const both = buildSignalsCommand({
      input: '/x/source',
      hasAudio: true,
      threads: 2,
      sceneThreshold: 14,
      silenceNoiseDb: -40,
      silenceMinSeconds: 0.6,
    });
    expect(both.inputs).toEqual([
      { path: '/x/source', kind: 'video', options: ['-loglevel', 'info', '-threads', '2'] },
    ]);
    expect(both.filterComplex).toContain('scdet=threshold=14[vo]');
    expect(both.filterComplex).toContain('silencedetect=noise=-40dB:duration=0.6[ao]');
    expect(both.outputOptions).toEqual(['-map', '[vo]', '-map', '[ao]', '-f', 'null']);
    const videoOnly = buildSignalsCommand({ input: '/x/source', hasAudio: false, threads: 0 });
    expect(videoOnly.filterComplex).not.toMatch(/ebur128|silencedetect|\[ao\]|0:a/);
    expect(videoOnly.outputOptions).toEqual(['-map', '[vo]', '-f', 'null']);
    expect(() =>
      buildSignalsCommand({ input: '/x/source', hasAudio: true, threads: 1, sceneThreshold: Number.NaN }),
    ).toThrow(RangeError);
  });

  it('rejects an already-aborted signal without starting ffmpeg', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      measureSignals({ ...base(), input: source.withAudio, hasAudio: true, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'FFMPEG_KILLED' });
  });

  it('turns an unreadable source into a permanent, readable error', async () => {
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, 'this is not a video at all, just text pretending to be one\n'.repeat(50));
    const failure = measureSignals({ ...base(), input: junk, hasAudio: true, signal: new AbortController().signal });
    await expect(failure).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(failure).rejects.toThrow(/Invalid data found/);
  });
});
