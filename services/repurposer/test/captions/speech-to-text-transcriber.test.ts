import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PermanentError, RetryableError } from '@reelforge/messaging';
import { createSpeechToTextTranscriber } from '../../src/captions/speech-to-text-transcriber.ts';
import { createTranscriber, type Transcriber } from '../../src/captions/transcriber.ts';

const run = promisify(execFile);
const KEY = 'sk-test-secret-key';
const VERBOSE = {
  segments: [
    { start: 0.0, end: 1.4, text: ' Hello there. ' },
    { start: 1.4, end: 2.8, text: 'How are you?' },
  ],
  words: [
    { word: 'Hello', start: 0.1, end: 0.5 },
    { word: 'there.', start: 0.6, end: 1.2 },
    { word: 'How', start: 1.5, end: 1.8 },
    { word: 'are', start: 1.9, end: 2.1 },
    { word: 'you?', start: 2.2, end: 2.7 },
  ],
};

// The adapter against a local stand-in for the external speech-to-text API (the only fake here:
// the audio is extracted by the real ffmpeg and checked by the real ffprobe).
describe('speech-to-text transcriber', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let reply: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
  const received: { auth?: string; body: Buffer }[] = [];
  const ffmpegPath = inject('ffmpegPath');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-stt-'));
    await run(ffmpegPath, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:d=3',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:d=3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      '-f',
      'mp4',
      join(dir, 'source'),
    ]);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
        reply(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/audio/transcriptions`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const stt = (timeoutMs = 5000) =>
    createSpeechToTextTranscriber({ ffmpegPath, apiUrl: url, apiKey: KEY, model: 'whisper-1', timeoutMs });
  const input = { sourceFile: '', captionsFile: null, hasAudio: true };
  const outcome = (p: Promise<unknown>) =>
    p.then(
      (v) => v,
      (e: unknown) => e,
    );

  it('uploads the extracted speech (mono 16 kHz) with the key and asks for word timings; maps segments and words', async () => {
    reply = (_req, _body, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(VERBOSE));
    received.length = 0;
    const cues = await stt().transcribe({ ...input, sourceFile: join(dir, 'source') }, new AbortController().signal);
    expect(cues).toEqual([
      {
        start: 0,
        end: 1.4,
        text: 'Hello there.',
        words: [
          { start: 0.1, end: 0.5, text: 'Hello' },
          { start: 0.6, end: 1.2, text: 'there.' },
        ],
      },
      {
        start: 1.4,
        end: 2.8,
        text: 'How are you?',
        words: [
          { start: 1.5, end: 1.8, text: 'How' },
          { start: 1.9, end: 2.1, text: 'are' },
          { start: 2.2, end: 2.7, text: 'you?' },
        ],
      },
    ]);
    const [{ auth, body }] = received as [{ auth: string; body: Buffer }];
    expect(auth).toBe(`Bearer ${KEY}`);
    const text = body.toString('latin1');
    for (const field of [
      'name="model"\r\n\r\nwhisper-1',
      'name="response_format"\r\n\r\nverbose_json',
      'name="timestamp_granularities[]"\r\n\r\nword',
    ])
      expect(text).toContain(field);
    // The uploaded file is real audio: cut it out of the multipart body and ask ffprobe.
    const start = body.indexOf('OggS');
    expect(start).toBeGreaterThan(0);
    const audio = join(dir, 'uploaded.ogg');
    await writeFile(audio, body.subarray(start, body.lastIndexOf(Buffer.from('\r\n--'))));
    const { stdout } = await run(inject('ffprobePath'), ['-v', 'error', '-show_streams', '-of', 'json', audio]);
    expect(JSON.parse(stdout).streams[0]).toMatchObject({ codec_name: 'opus', channels: 1 });
  });

  it('no audio, no call; an empty transcript is no transcript', async () => {
    received.length = 0;
    expect(
      await stt().transcribe(
        { ...input, sourceFile: join(dir, 'source'), hasAudio: false },
        new AbortController().signal,
      ),
    ).toBeNull();
    expect(received).toHaveLength(0);
    reply = (_req, _body, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ segments: [], words: [] }));
    expect(
      await stt().transcribe({ ...input, sourceFile: join(dir, 'source') }, new AbortController().signal),
    ).toBeNull();
  });

  it('refused credentials are permanent (and never show the key); 429 and 5xx retry', async () => {
    reply = (_req, _body, res) =>
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
    const refused = await outcome(
      stt().transcribe({ ...input, sourceFile: join(dir, 'source') }, new AbortController().signal),
    );
    expect(refused).toBeInstanceOf(PermanentError);
    expect((refused as Error).message).toBe(
      'speech-to-text API refused the credentials (HTTP 401): Incorrect API key provided',
    );
    expect((refused as Error).message).not.toContain(KEY);
    for (const status of [429, 503]) {
      reply = (_req, _body, res) => res.writeHead(status).end('busy');
      const err = await outcome(
        stt().transcribe({ ...input, sourceFile: join(dir, 'source') }, new AbortController().signal),
      );
      expect(err).toBeInstanceOf(RetryableError);
      expect((err as Error).message).toBe(`speech-to-text API answered HTTP ${status}`);
    }
  });

  it('a silent API times out as retryable; a cancel stops the call at once', async () => {
    reply = () => undefined; // never answers
    const slow = await outcome(
      stt(300).transcribe({ ...input, sourceFile: join(dir, 'source') }, new AbortController().signal),
    );
    expect(slow).toBeInstanceOf(RetryableError);
    expect((slow as Error).message).toBe('speech-to-text API: no answer within 300 ms');
    // Cancel once the upload has reached the API (the server has read the whole request).
    let arrived!: () => void;
    const uploaded = new Promise<void>((resolve) => (arrived = resolve));
    reply = () => arrived();
    const controller = new AbortController();
    const pending = outcome(stt(60_000).transcribe({ ...input, sourceFile: join(dir, 'source') }, controller.signal));
    await uploaded;
    const began = performance.now();
    controller.abort(new Error('cancelled'));
    expect(((await pending) as Error).message).toMatch(/cancelled|aborted/);
    expect(performance.now() - began).toBeLessThan(1000);
  });

  it('supplied captions win; speech-to-text only without them; neither configured: no transcript', async () => {
    const calls: string[] = [];
    const fake = (name: string): Transcriber => ({
      transcribe: async () => {
        calls.push(name);
        return [{ start: 0, end: 1, text: name }];
      },
    });
    const both = createTranscriber({ supplied: fake('supplied'), speech: fake('speech') });
    await both.transcribe({ ...input, captionsFile: '/x.srt' }, new AbortController().signal);
    await both.transcribe(input, new AbortController().signal);
    expect(calls).toEqual(['supplied', 'speech']);
    const suppliedOnly = createTranscriber({
      supplied: { transcribe: async (i) => (i.captionsFile ? [] : null) },
      speech: null,
    });
    expect(await suppliedOnly.transcribe(input, new AbortController().signal)).toBeNull();
  });
});
