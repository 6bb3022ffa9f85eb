import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptionsFormatError } from '../../src/captions/parse-captions.ts';
import { MAX_CAPTIONS_BYTES, createSuppliedCaptionsTranscriber } from '../../src/captions/transcriber.ts';

const SRT = '1\n00:00:01,000 --> 00:00:02,000\nHello there\n';

describe('createSuppliedCaptionsTranscriber', () => {
  const transcriber = createSuppliedCaptionsTranscriber();
  const signal = new AbortController().signal;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reelforge-captions-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const file = async (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it('returns null when the source has no captions file', async () => {
    expect(
      await transcriber.transcribe({ sourceFile: join(dir, 'source'), captionsFile: null, hasAudio: true }, signal),
    ).toBeNull();
  });

  it('reads and parses the supplied file', async () => {
    const captionsFile = await file('a.srt', SRT);
    expect(await transcriber.transcribe({ sourceFile: 'unused', captionsFile, hasAudio: true }, signal)).toEqual([
      { start: 1, end: 2, text: 'Hello there' },
    ]);
  });

  it('decodes UTF-16 with a BOM and falls back to Windows-1252 for invalid UTF-8', async () => {
    const utf16 = await file(
      'b.srt',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('1\n00:00:00,000 --> 00:00:01,000\nnaïve\n', 'utf16le')]),
    );
    expect(
      (await transcriber.transcribe({ sourceFile: '', captionsFile: utf16, hasAudio: true }, signal))?.[0]?.text,
    ).toBe('naïve');
    const latin = await file(
      'c.srt',
      Buffer.from('1\n00:00:00,000 --> 00:00:01,000\ncaf\xe9 \x93ok\x94 don\x92t \x80\n', 'latin1'),
    );
    expect(
      (await transcriber.transcribe({ sourceFile: '', captionsFile: latin, hasAudio: true }, signal))?.[0]?.text,
    ).toBe('café “ok” don’t €');
  });

  it('lets CaptionsFormatError through for a file in neither format', async () => {
    const captionsFile = await file('d.srt', 'just some notes\n');
    await expect(
      transcriber.transcribe({ sourceFile: '', captionsFile, hasAudio: true }, signal),
    ).rejects.toBeInstanceOf(CaptionsFormatError);
  });

  it('refuses a file over 5 MB without parsing it', async () => {
    expect(MAX_CAPTIONS_BYTES).toBe(5 * 1024 * 1024);
    const captionsFile = await file('e.srt', Buffer.alloc(MAX_CAPTIONS_BYTES + 1, 0x20));
    await expect(transcriber.transcribe({ sourceFile: '', captionsFile, hasAudio: true }, signal)).rejects.toThrow(
      /larger than 5 MB/,
    );
    await expect(
      transcriber.transcribe({ sourceFile: '', captionsFile, hasAudio: true }, signal),
    ).rejects.toBeInstanceOf(CaptionsFormatError);
  });

  it('stops when the task is cancelled', async () => {
    const captionsFile = await file('f.srt', SRT);
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      transcriber.transcribe({ sourceFile: '', captionsFile, hasAudio: true }, controller.signal),
    ).rejects.toThrow('cancelled');
  });
});
