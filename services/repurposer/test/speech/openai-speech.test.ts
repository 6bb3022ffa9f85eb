import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpeech } from '../../src/speech/create-speech.ts';
import { createOpenAiSpeech } from '../../src/speech/openai-speech.ts';
import { SpeechError } from '../../src/speech/speech.ts';
import { probeAudio, sineWav, speechTools } from './support.ts';

const KEY = 'sk-test-speech-key';
const TEXT = 'First sentence here. And a second, longer sentence follows it.';

const outcome = <T>(p: Promise<T>) =>
  p.then(
    (v) => v,
    (e: unknown) => e,
  );

// The adapter against a local stand-in for the external text-to-speech API (the only fake here):
// the audio it serves is a real WAV made by ffmpeg, measured by the adapter and checked by ffprobe.
describe('OpenAI-compatible speech', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let wav: Buffer;
  let reply: (req: IncomingMessage, res: ServerResponse) => void;
  const received: { method?: string; path?: string; auth?: string; body: Record<string, unknown> }[] = [];
  let tools: ReturnType<typeof speechTools>;

  beforeAll(async () => {
    tools = speechTools();
    dir = await mkdtemp(join(tmpdir(), 'rf-tts-'));
    await sineWav(tools.ffmpegPath, join(dir, 'tone.wav'), 2.5, 24_000);
    wav = await readFile(join(dir, 'tone.wav'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        received.push({
          method: req.method,
          path: req.url,
          ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
        reply(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const tts = (timeoutMs = 5000) =>
    createOpenAiSpeech({ url, apiKey: KEY, model: 'tts-1', defaultVoice: 'alloy', timeoutMs });
  const signal = new AbortController().signal;

  it('posts the text with key, model, voice and speed, writes the WAV and measures it', async () => {
    reply = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
    received.length = 0;
    const out = join(dir, 'speech.wav');
    const r = await tts().synthesize({ text: TEXT, voice: 'nova', rate: 210, outFile: out }, signal);
    expect(received).toHaveLength(1);
    const [req] = received as [(typeof received)[number]];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/audio/speech');
    expect(req.auth).toBe(`Bearer ${KEY}`);
    expect(req.body).toEqual({ model: 'tts-1', input: TEXT, voice: 'nova', response_format: 'wav', speed: 1.2 });

    expect(r.file).toBe(out);
    expect(await readFile(out)).toEqual(wav);
    expect(r.seconds).toBeCloseTo(2.5, 6);
    expect((await probeAudio(tools.ffprobePath, out)).seconds).toBeCloseTo(r.seconds, 3);
    // No marks from this API: words are spread by syllables over the measured audio, in order.
    expect(r.words.map((w) => w.text).join(' ')).toBe(TEXT);
    expect(r.words[0]!.start).toBe(0);
    expect(r.words.at(-1)!.end).toBeCloseTo(2.5, 3);
    let prev = 0;
    for (const w of r.words) {
      expect(w.start).toBeGreaterThanOrEqual(prev);
      expect(w.end).toBeGreaterThan(w.start);
      prev = w.end;
    }
    // "sentence" (2 syllables) gets about twice the time of "First" (1).
    const first = r.words[0]!;
    const sentence = r.words[1]!;
    expect((sentence.end - sentence.start) / (first.end - first.start)).toBeCloseTo(2, 1);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['speech.wav']));
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('uses the configured voice and speed 1 when the request names none', async () => {
    reply = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
    received.length = 0;
    await tts().synthesize({ text: 'Hi.', voice: null, rate: null, outFile: join(dir, 'default.wav') }, signal);
    expect(received[0]!.body).toMatchObject({ voice: 'alloy', speed: 1 });
  });

  it('rejected credentials are permanent, and the key is in no message', async () => {
    for (const status of [401, 403]) {
      reply = (_req, res) =>
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
      const err = await outcome(
        tts().synthesize({ text: TEXT, voice: null, rate: null, outFile: join(dir, 'denied.wav') }, signal),
      );
      expect(err).toBeInstanceOf(SpeechError);
      expect((err as SpeechError).permanent).toBe(true);
      expect((err as SpeechError).message).toBe(
        `speech API refused the credentials (HTTP ${status}): Incorrect API key provided`,
      );
      expect((err as SpeechError).message).not.toContain(KEY);
    }
    expect(existsSync(join(dir, 'denied.wav'))).toBe(false);
  });

  it('server errors, rate limits and timeouts are not permanent', async () => {
    for (const status of [500, 503, 429]) {
      reply = (_req, res) => res.writeHead(status).end('busy');
      const err = await outcome(
        tts().synthesize({ text: TEXT, voice: null, rate: null, outFile: join(dir, 'busy.wav') }, signal),
      );
      expect(err).toBeInstanceOf(SpeechError);
      expect((err as SpeechError).permanent).toBe(false);
      expect((err as SpeechError).message).toBe(`speech API answered HTTP ${status}`);
    }
    reply = () => undefined; // never answers
    const started = Date.now();
    const err = await outcome(
      tts(300).synthesize({ text: TEXT, voice: null, rate: null, outFile: join(dir, 'slow.wav') }, signal),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect((err as SpeechError).permanent).toBe(false);
    expect((err as SpeechError).message).toBe('speech API: no answer within 300 ms');
    expect(existsSync(join(dir, 'busy.wav')) || existsSync(join(dir, 'slow.wav'))).toBe(false);
  });

  it('a refused request (400) is permanent; an answer that is not WAV is a configuration error', async () => {
    reply = (_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'Invalid voice' } }));
    const bad = await outcome(
      tts().synthesize({ text: TEXT, voice: 'nobody', rate: null, outFile: join(dir, 'bad.wav') }, signal),
    );
    expect((bad as SpeechError).permanent).toBe(true);
    expect((bad as SpeechError).message).toBe('speech API refused the request (HTTP 400): Invalid voice');
    reply = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    const html = await outcome(
      tts().synthesize({ text: TEXT, voice: null, rate: null, outFile: join(dir, 'html.wav') }, signal),
    );
    expect((html as SpeechError).permanent).toBe(true);
    expect((html as SpeechError).message).toMatch(/did not answer with WAV audio/);
    expect(existsSync(join(dir, 'html.wav'))).toBe(false);
  });

  it('aborting stops the request at once', async () => {
    reply = () => undefined;
    const controller = new AbortController();
    const p = outcome(
      tts(10_000).synthesize(
        { text: TEXT, voice: null, rate: null, outFile: join(dir, 'aborted.wav') },
        controller.signal,
      ),
    );
    setTimeout(() => controller.abort(), 50);
    const err = await p;
    expect((err as SpeechError).failure).toBe('aborted');
    expect((err as SpeechError).permanent).toBe(false);
  });

  it('createSpeech picks the API only when both its URL and key are given', async () => {
    reply = (_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
    received.length = 0;
    const api = createSpeech({
      ESPEAK_NG_PATH: tools.espeakPath,
      SPEECH_API_URL: url,
      SPEECH_API_KEY: KEY,
      SPEECH_MODEL: 'gpt-4o-mini-tts',
      SPEECH_VOICE: 'echo',
    });
    await api.synthesize({ text: 'Hi.', voice: null, rate: null, outFile: join(dir, 'picked.wav') }, signal);
    expect(received[0]!.body).toMatchObject({ model: 'gpt-4o-mini-tts', voice: 'echo' });

    received.length = 0;
    const offline = createSpeech({ ESPEAK_NG_PATH: tools.espeakPath, SPEECH_API_URL: '', SPEECH_API_KEY: undefined });
    const r = await offline.synthesize(
      { text: 'Hi.', voice: null, rate: null, outFile: join(dir, 'offline.wav') },
      signal,
    );
    expect(received).toHaveLength(0);
    expect(r.seconds).toBeGreaterThan(0.2);
    expect(await offline.voices!()).toContain('en');

    expect(() => createSpeech({ ESPEAK_NG_PATH: tools.espeakPath, SPEECH_API_URL: url })).toThrow(
      /SPEECH_API_URL is set but SPEECH_API_KEY is not/,
    );
    expect(() => createSpeech({ ESPEAK_NG_PATH: tools.espeakPath, SPEECH_API_KEY: KEY })).toThrow(
      /SPEECH_API_KEY is set but SPEECH_API_URL is not/,
    );
  });
});
