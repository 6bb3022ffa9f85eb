import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptWriterError } from '../../src/article/errors.ts';
import { extractArticle } from '../../src/article/extract-article.ts';
import { writeExtractiveScript } from '../../src/article/script/extractive-script.ts';
import { createLlmScriptWriter } from '../../src/article/script/llm-script-writer.ts';
import { writeScript } from '../../src/article/script/write-script.ts';
import { fixture, NEWS_URL } from './fixtures.ts';

const article = extractArticle(fixture('news-article.html'), NEWS_URL);
const API_KEY = 'sk-test-123';
const MODEL = 'test-model-1';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

// A stand-in for an OpenAI-compatible server: records each request and answers with `reply`.
let server: Server;
let baseUrl: string;
let requests: Recorded[];
let reply: (res: ServerResponse) => void;

const completion = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: MODEL,
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
});
const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const answer = (script: unknown) => json(200, completion(JSON.stringify(script)));

const goodScript = {
  title: 'Floating solar farm approved',
  scenes: [
    {
      narration: 'The city council has approved a floating solar farm on the Westbrook reservoir.',
      caption: 'A solar farm that floats',
      imageIndex: 0,
    },
    {
      narration: 'About forty thousand panels will cover a fifth of the water.',
      caption: '40,000 panels',
      imageIndex: 1,
    },
    {
      narration: 'Two council members voted against it, citing storm risks.',
      caption: 'Not everyone agrees',
      imageIndex: 7,
    },
    {
      narration: 'Residents can comment at a public meeting on April 3.',
      caption: 'Have your say on April 3',
      imageIndex: null,
    },
  ],
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: raw ? JSON.parse(raw) : null,
      });
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests = [];
  reply = answer(goodScript);
});

const writer = (timeoutMs = 5_000) => createLlmScriptWriter({ url: baseUrl, apiKey: API_KEY, model: MODEL, timeoutMs });

async function writerError(p: Promise<unknown>): Promise<ScriptWriterError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScriptWriterError);
  return err as ScriptWriterError;
}

describe('createLlmScriptWriter', () => {
  it('turns a valid answer into an llm script, images mapped by index', async () => {
    const script = await writer().write(article, { targetSeconds: 30 });
    expect(script).toEqual({
      title: 'Floating solar farm approved',
      language: 'en-US',
      source: 'llm',
      scenes: [
        {
          narration: goodScript.scenes[0]!.narration,
          caption: 'A solar farm that floats',
          imageUrl: article.images[0]!.url,
        },
        { narration: goodScript.scenes[1]!.narration, caption: '40,000 panels', imageUrl: article.images[1]!.url },
        { narration: goodScript.scenes[2]!.narration, caption: 'Not everyone agrees', imageUrl: null }, // index 7: out of range
        { narration: goodScript.scenes[3]!.narration, caption: 'Have your say on April 3', imageUrl: null },
      ],
    });
  });

  it('posts a JSON-mode chat completion with the bearer key, the model and the article', async () => {
    await writer().write(article, { targetSeconds: 30 });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/v1/chat/completions');
    expect(req!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.body.model).toBe(MODEL);
    expect(req!.body.response_format).toEqual({ type: 'json_object' });
    const [system, user] = req!.body.messages;
    expect(system.role).toBe('system');
    expect(system.content).toContain('at most 78 words'); // 30 s × 2.6 words/s
    expect(system.content).toContain('imageIndex');
    const sent = JSON.parse(user.content);
    expect(sent.title).toBe(article.title);
    expect(sent.paragraphs).toEqual(article.paragraphs);
    expect(sent.images).toEqual(
      article.images.map((img, index) => ({ index, alt: img.alt, afterParagraph: img.paragraphIndex })),
    );
    expect(JSON.stringify(sent)).not.toContain('https://'); // images go by index, not URL
  });

  it('accepts an answer in a Markdown fence and a missing imageIndex', async () => {
    const { imageIndex: _, ...scene } = goodScript.scenes[0]!;
    reply = json(200, completion('```json\n' + JSON.stringify({ title: 'T', scenes: [scene] }) + '\n```'));
    const script = await writer().write(article, { targetSeconds: 15 });
    expect(script.scenes).toEqual([{ narration: scene.narration, caption: scene.caption, imageUrl: null }]);
  });

  it('classifies failures: 401/403 permanent; 429, 5xx, bad answers and timeouts not', async () => {
    const cases: [string, (res: ServerResponse) => void, boolean, RegExp][] = [
      [
        '401',
        json(401, { error: { message: `Incorrect API key provided: ${API_KEY}` } }),
        true,
        /rejected the credentials \(HTTP 401\): .*\[redacted\]/,
      ],
      ['403', json(403, { error: { message: 'forbidden' } }), true, /HTTP 403/],
      ['404', json(404, { error: { message: 'model not found' } }), true, /HTTP 404: .*model not found/],
      ['429', json(429, { error: { message: 'slow down' } }), false, /HTTP 429/],
      ['500', json(500, { error: { message: 'boom' } }), false, /HTTP 500/],
      ['503', json(503, {}), false, /HTTP 503/],
      ['body not JSON', (res) => res.end('<html>gateway</html>'), false, /not JSON/],
      ['no content', json(200, { choices: [] }), false, /no message content/],
      ['content not JSON', json(200, completion('Here is your script: scene one…')), false, /invalid JSON/],
      [
        'schema violation',
        answer({ title: 'T', scenes: [{ narration: 'x', caption: 'y'.repeat(121), imageIndex: null }] }),
        false,
        /schema: \/scenes\/0\/caption/,
      ],
      ['no scenes', answer({ title: 'T', scenes: [] }), false, /schema/],
      [
        'over budget',
        answer({
          title: 'T',
          scenes: [{ narration: 'word '.repeat(60).trim() + '.', caption: 'c', imageIndex: null }],
        }),
        false,
        /60 words, over the budget of 39/,
      ],
    ];
    for (const [name, respond, permanent, message] of cases) {
      reply = respond;
      const err = await writerError(writer().write(article, { targetSeconds: 15 }));
      expect(err.permanent, name).toBe(permanent);
      expect(err.message, name).toMatch(message);
      expect(err.message, name).not.toContain(API_KEY);
    }
  });

  it('times out, not permanently', async () => {
    reply = () => {}; // never answers
    const err = await writerError(writer(200).write(article, { targetSeconds: 15 }));
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/did not answer within 200 ms/);
  });

  it('reports an unreachable server, not permanently', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await writerError(
      createLlmScriptWriter({ url: `http://127.0.0.1:${port}`, apiKey: API_KEY, model: MODEL, timeoutMs: 2_000 }).write(
        article,
        { targetSeconds: 15 },
      ),
    );
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/could not be reached: .*ECONNREFUSED/);
  });
});

describe('writeScript', () => {
  it('uses the LLM when it delivers', async () => {
    const { script, fallbackReason } = await writeScript(article, { targetSeconds: 30 }, { llm: writer() });
    expect(script.source).toBe('llm');
    expect(fallbackReason).toBeNull();
  });

  it('writes the extractive script when no LLM is configured, without a fallback reason', async () => {
    const result = await writeScript(article, { targetSeconds: 30 }, { llm: null });
    expect(result).toEqual({ script: writeExtractiveScript(article, { targetSeconds: 30 }), fallbackReason: null });
    expect(requests).toHaveLength(0);
  });

  it('falls back to the extractive script on any LLM failure, saying why', async () => {
    const failures: [(res: ServerResponse) => void, RegExp][] = [
      [json(200, completion('{"title": "T", "scenes": [')), /invalid JSON/],
      [answer({ title: 'T', scenes: [{ narration: 'Hello.', imageIndex: 0 }] }), /schema/],
      [json(500, { error: { message: 'internal' } }), /HTTP 500/],
      [json(401, { error: { message: 'bad key' } }), /HTTP 401/],
    ];
    const extractive = writeExtractiveScript(article, { targetSeconds: 30 });
    for (const [respond, reason] of failures) {
      reply = respond;
      const { script, fallbackReason } = await writeScript(article, { targetSeconds: 30 }, { llm: writer() });
      expect(script).toEqual(extractive);
      expect(fallbackReason).toMatch(reason);
    }
    expect(requests).toHaveLength(failures.length);
  });

  it('does not fall back when the caller aborts: it rethrows the abort', async () => {
    reply = () => {};
    const controller = new AbortController();
    const pending = writeScript(article, { targetSeconds: 30 }, { llm: writer() }, controller.signal);
    setTimeout(() => controller.abort(new Error('task cancelled')), 50);
    await expect(pending).rejects.toThrow('task cancelled');
  });
});
