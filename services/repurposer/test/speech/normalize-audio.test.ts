import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegArgs, runFfmpegRaw } from '../../src/render/ffmpeg-command.ts';
import { createEspeakSpeech } from '../../src/speech/espeak-speech.ts';
import { normalizeAudioCommand } from '../../src/speech/normalize-audio.ts';
import { loudness, probeAudio, speechTools } from './support.ts';

const run = promisify(execFile);

// The per-scene loudness pass on real narration: 48 kHz, about -16 LUFS, same length.
describe('normalizeAudioCommand', () => {
  let dir: string;
  let tools: ReturnType<typeof speechTools>;
  let narration: { file: string; seconds: number };

  beforeAll(async () => {
    tools = speechTools();
    dir = await mkdtemp(join(tmpdir(), 'rf-norm-'));
    // Narration made 14 dB quieter, so the pass has real work to do.
    const speech = createEspeakSpeech({ espeakPath: tools.espeakPath });
    const r = await speech.synthesize(
      {
        text: 'This scene is about loudness. It should sound the same as every other scene, quiet or loud.',
        voice: null,
        rate: null,
        outFile: join(dir, 'scene.wav'),
      },
      new AbortController().signal,
    );
    await run(tools.ffmpegPath, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      r.file,
      '-af',
      'volume=-14dB',
      '-c:a',
      'pcm_s16le',
      join(dir, 'quiet.wav'),
    ]);
    narration = { file: join(dir, 'quiet.wav'), seconds: r.seconds };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is an argument vector that opens the narration as WAV only, through the file protocol', () => {
    const args = ffmpegArgs(normalizeAudioCommand('in.wav', 'out.wav', { channels: 1, codec: 'pcm' }));
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      'wav',
      '-f',
      'wav',
      '-i',
      'file:in.wav',
      '-filter_complex',
      '[0:a]loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000[a]',
      '-map',
      '[a]',
      '-ac',
      '1',
      '-ar',
      '48000',
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
      'file:out.wav',
    ]);
  });

  it('mono PCM: 48 kHz, about -16 LUFS, duration kept to the sample', async () => {
    const before = await loudness(tools.ffmpegPath, narration.file);
    const out = join(dir, 'mono.wav');
    await runFfmpegRaw(tools.ffmpegPath, normalizeAudioCommand(narration.file, out, { channels: 1, codec: 'pcm' }));
    const probed = await probeAudio(tools.ffprobePath, out);
    expect(probed).toMatchObject({ codec: 'pcm_s16le', sampleRate: 48_000, channels: 1 });
    expect(Math.abs(probed.seconds - narration.seconds)).toBeLessThan(1 / 48_000 + 1e-6);
    const after = await loudness(tools.ffmpegPath, out);
    expect(before).toBeLessThan(-28);
    expect(Math.abs(after - -16)).toBeLessThan(2);
  });

  it('stereo AAC: 48 kHz, about -16 LUFS, duration kept to an AAC frame', async () => {
    const out = join(dir, 'stereo.m4a');
    await runFfmpegRaw(tools.ffmpegPath, normalizeAudioCommand(narration.file, out, { channels: 2, codec: 'aac' }));
    const probed = await probeAudio(tools.ffprobePath, out);
    expect(probed).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    expect(Math.abs(probed.seconds - narration.seconds)).toBeLessThan(1024 / 48_000);
    expect(Math.abs((await loudness(tools.ffmpegPath, out)) - -16)).toBeLessThan(2);
  });

  it('refuses a "WAV" that is really another format (a playlist naming other files)', async () => {
    await writeFile(join(dir, 'list.wav'), `ffconcat version 1.0\nfile 'scene.wav'\n`);
    const err = await runFfmpegRaw(
      tools.ffmpegPath,
      normalizeAudioCommand(join(dir, 'list.wav'), join(dir, 'stolen.wav'), { channels: 1, codec: 'pcm' }),
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/Invalid data found when processing input/);
  });
});
