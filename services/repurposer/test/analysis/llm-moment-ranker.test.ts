import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chooseMoments } from '../../src/analysis/choose-moments.ts';
import { createLlmMomentRanker, MomentRankerError } from '../../src/analysis/llm-moment-ranker.ts';
import type { Signals } from '../../src/analysis/signals.ts';
import type { Cue } from '../../src/captions/cue.ts';

const API_KEY = 'sk-moments-test';
const MODEL = 'rank-model-1';

// A real HTTP server standing in for an OpenAI-compatible API: records each request, answers with `reply`.
let server: Server;
let baseUrl: string;
let requests: { url: string; authorization: string | undefined; body: any }[];
let reply: (res: ServerResponse, body: any) => void;

const completion = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: MODEL,
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
});
const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
      reply(res, body);
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
});

/** Ten sentences of 9.5 s, a 0.5 s pause after each: sentence i spans [10i, 10i + 9.5]. */
function source(): { cues: Cue[]; signals: Signals } {
  const texts = Array.from({ length: 10 }, (_, i) => `Part ${i} of the talk covers topic number ${i} in some detail.`);
  const cues = texts.map((text, i) => ({ start: i * 10, end: i * 10 + 9.5, text }));
  const silences = cues.map((c) => ({ start: c.end, end: c.end + 0.5 }));
  const loudness = [];
  for (let t = 0.2; t < 99.8; t += 0.1) {
    const quiet = silences.some((s) => t >= s.start && t <= s.end);
    loudness.push({ t: Math.round(t * 1000) / 1000, lufs: quiet ? -120.7 : -20 });
  }
  return { cues, signals: { durationSeconds: 100, loudness, silences, sceneCuts: [] } };
}

const ranker = (timeoutMs = 5000) => createLlmMomentRanker({ url: baseUrl, apiKey: API_KEY, model: MODEL, timeoutMs });
const options = { count: 2, minSeconds: 9, maxSeconds: 10.5 };
const never = new AbortController().signal;

describe('LLM moment ranker (local OpenAI-compatible stand-in server)', () => {
  it('sends the candidates and takes its ranking: the last candidate offered becomes a clip', async () => {
    reply = (res, body) => {
      const { candidates } = JSON.parse(body.messages[1].content) as { candidates: { id: string }[] };
      const ids = candidates.map((c) => c.id).reverse();
      send(res, 200, completion(JSON.stringify({ ranking: ids.map((id) => ({ id, reason: `pick ${id}` })) })));
    };
    const { cues, signals } = source();
    const heuristic = await chooseMoments(signals, cues, options, null, never);
    const chosen = await chooseMoments(signals, cues, options, ranker(), never);

    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('/v1/chat/completions');
    expect(requests[0]!.authorization).toBe(`Bearer ${API_KEY}`);
    expect(requests[0]!.body.model).toBe(MODEL);
    const sent = JSON.parse(requests[0]!.body.messages[1].content) as {
      candidates: { id: string; transcript: string }[];
    };
    expect(sent.candidates.length).toBe(6); // three per clip wanted
    expect(sent.candidates[0]!.transcript).toMatch(/^Part \d of the talk/);

    expect(chosen).toHaveLength(2);
    expect(chosen.every((c) => /^LLM ranked it #[12] of 6 candidates: pick c\d; heuristic score/.test(c.reason))).toBe(
      true,
    );
    expect(chosen.map((c) => c.start)).not.toEqual(heuristic.map((c) => c.start));
    for (const c of chosen) expect(c.score).toBeGreaterThan(0);
  });

  it('falls back to the heuristic order, saying why, on a malformed answer', async () => {
    reply = (res) => send(res, 200, completion('Sure! The best clips are c2 and c5.'));
    const { cues, signals } = source();
    const heuristic = await chooseMoments(signals, cues, options, null, never);
    const chosen = await chooseMoments(signals, cues, options, ranker(), never);
    expect(chosen.map((c) => [c.start, c.end, c.score])).toEqual(heuristic.map((c) => [c.start, c.end, c.score]));
    for (const c of chosen)
      expect(c.reason).toMatch(/\(LLM ranking failed, heuristic order kept: the LLM answered with invalid JSON: /);
  });

  it('rejects unknown ids, duplicates, schema breaks, too few ids, HTTP errors and slow answers', async () => {
    const candidates = [
      { id: 'c1', start: 0, end: 10, text: 'one' },
      { id: 'c2', start: 10, end: 20, text: 'two' },
      { id: 'c3', start: 20, end: 30, text: 'three' },
    ];
    const cases: [(res: ServerResponse) => void, RegExp][] = [
      [(res) => send(res, 200, completion('{"ranking":[{"id":"c9"},{"id":"c1"}]}')), /unknown candidate "c9"/],
      [(res) => send(res, 200, completion('{"ranking":[{"id":"c1"},{"id":"c1"}]}')), /ranked candidate c1 twice/],
      [(res) => send(res, 200, completion('{"ranking":"c1,c2"}')), /does not match the schema: \/ranking/],
      [(res) => send(res, 200, completion('{"ranking":[{"id":"c2"}]}')), /ranked 1 candidates, fewer than the 2/],
      [(res) => send(res, 200, { choices: [] }), /no message content/],
      [(res) => send(res, 500, { error: { message: `bad key ${API_KEY}` } }), /HTTP 500: .*\[redacted\]/],
      [(res) => setTimeout(() => send(res, 200, completion('{}')), 1500), /did not answer within 300 ms/],
    ];
    for (const [answer, message] of cases) {
      reply = answer;
      const failure = await ranker(300)
        .rank(candidates, 2, never)
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(failure).toBeInstanceOf(MomentRankerError);
      expect((failure as Error).message).toMatch(message);
      expect((failure as Error).message).not.toContain(API_KEY);
    }
    // A fenced answer with extra keys is fine.
    reply = (res) =>
      send(
        res,
        200,
        completion('```json\n{"ranking":[{"id":"c3","reason":" strong\\nhook ","score":9},{"id":"c1"}]}\n```'),
      );
    expect(await ranker().rank(candidates, 2, never)).toEqual([
      { id: 'c3', reason: 'strong hook' },
      { id: 'c1', reason: 'no reason given' },
    ]);
  });

  it('passes the task abort on instead of falling back', async () => {
    reply = (res) => setTimeout(() => send(res, 200, completion('{}')), 2000);
    const { cues, signals } = source();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('task cancelled')), 100);
    await expect(chooseMoments(signals, cues, options, ranker(), ac.signal)).rejects.toThrow('task cancelled');
  });
});
