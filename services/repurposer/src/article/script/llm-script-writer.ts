import { ScriptWriterError } from '../errors.ts';
import type { ExtractedArticle } from '../extract-article.ts';
import { scriptFromAnswer } from './llm-answer.ts';
import { scriptPrompt } from './llm-prompt.ts';
import { sceneCeiling, wordBudget, type ScriptOptions, type VideoScript } from './scene.ts';

export { ScriptWriterError } from '../errors.ts';

export interface LlmScriptWriterConfig {
  /** Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  url: string;
  /** Sent as a bearer token; empty: no Authorization header. */
  apiKey: string;
  model: string;
  /** For the whole exchange, answer body included. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

export interface LlmScriptWriter {
  /**
   * A script for the article, or a ScriptWriterError. When `signal` aborts, rejects with its reason
   * (the caller gave up: that is no failure of the writer).
   */
  write(article: ExtractedArticle, options: ScriptOptions, signal?: AbortSignal): Promise<VideoScript>;
}

// Statuses worth asking again for: throttling, conflicts, timeouts and server errors.
const TRANSIENT_STATUSES = new Set([408, 409, 425, 429]);

/** A script writer backed by any OpenAI-compatible chat completions API (OpenAI, vLLM, Ollama, LiteLLM…). */
export function createLlmScriptWriter(config: LlmScriptWriterConfig): LlmScriptWriter {
  const endpoint = `${config.url.replace(/\/+$/u, '')}/chat/completions`;
  if (!/^https?:\/\//u.test(endpoint))
    throw new TypeError(`LLM url must be http(s), got ${JSON.stringify(config.url)}`);
  if (!(config.timeoutMs > 0)) throw new RangeError(`LLM timeoutMs must be positive, got ${config.timeoutMs}`);
  const doFetch = config.fetch ?? fetch;

  return {
    write: async (article, options, signal) => {
      const budget = wordBudget(options);
      const maxScenes = sceneCeiling(options);
      const timeout = AbortSignal.timeout(config.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const body = {
        model: config.model,
        messages: scriptPrompt(article, { targetSeconds: options.targetSeconds, budget, maxScenes }),
        response_format: { type: 'json_object' },
      };
      try {
        const res = await doFetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            // Local servers (Ollama, vLLM) may run without a key.
            ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          signal: combined,
        });
        if (!res.ok) {
          const detail = await res.text().catch(() => '');
          // Some APIs quote the key they rejected; the reason ends up in task records and logs.
          throw httpError(res.status, config.apiKey ? detail.replaceAll(config.apiKey, '[redacted]') : detail);
        }
        const content = messageContent(await res.text());
        return scriptFromAnswer(content, article, budget, maxScenes);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (err instanceof ScriptWriterError) throw err;
        if (timeout.aborted)
          throw new ScriptWriterError(`the LLM did not answer within ${config.timeoutMs} ms`, false, { cause: err });
        throw new ScriptWriterError(`the LLM API could not be reached: ${describe(err)}`, false, { cause: err });
      }
    },
  };
}

function httpError(status: number, body: string): ScriptWriterError {
  const detail = body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
  if (status === 401 || status === 403)
    return new ScriptWriterError(`the LLM API rejected the credentials (HTTP ${status})${detail}`, true);
  const transient = status >= 500 || TRANSIENT_STATUSES.has(status);
  // Other 4xx: the request itself is wrong (unknown model, unsupported option); resending won't help.
  return new ScriptWriterError(`the LLM API answered HTTP ${status}${detail}`, !transient);
}

// The assistant's text in a chat completion, or an error saying why there is none.
function messageContent(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ScriptWriterError('the LLM API answered with a body that is not JSON', false);
  }
  const message = (json as { choices?: { message?: { content?: unknown; refusal?: unknown } }[] } | null)?.choices?.[0]
    ?.message;
  if (typeof message?.refusal === 'string' && message.refusal)
    throw new ScriptWriterError(`the LLM refused: ${message.refusal.slice(0, 200)}`, false);
  if (typeof message?.content !== 'string')
    throw new ScriptWriterError('the LLM API answer has no message content', false);
  return message.content;
}

// fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause.
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}
