import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  Account,
  Content,
  Generation,
  Page,
  Source,
  StartedGeneration,
  Task,
  TaskStatus,
  Upload,
} from './api-types.ts';
import type { Credentials } from './config.ts';
import { ApiError, LocalFileError, UnreachableError, UsageError } from './errors.ts';

/** How long a JSON call may take before the gateway counts as unreachable (uploads and downloads have no limit). */
const CALL_TIMEOUT_MS = 30_000;

export interface TaskQuery {
  accountId?: string | undefined;
  status?: TaskStatus | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export type SourceBody = { url: string } | { uploadId: string };

export interface StartGenerationBody {
  type: string;
  count: number;
  options?: Record<string, unknown>;
}

export interface ApiClient {
  readonly url: string;
  /** The WebSocket endpoint of the live status. */
  readonly wsUrl: string;
  readonly token: string;
  listAccounts(): Promise<{ items: Account[] }>;
  createAccount(name: string): Promise<Account>;
  upload(file: string): Promise<Upload>;
  listSources(accountId: string, limit: number): Promise<Page<Source>>;
  registerSource(accountId: string, body: SourceBody): Promise<Source>;
  startGeneration(accountId: string, body: StartGenerationBody, idempotencyKey: string): Promise<StartedGeneration>;
  getGeneration(generationId: string): Promise<Generation>;
  getTask(taskId: string): Promise<Task>;
  listTasks(query: TaskQuery): Promise<Page<Task>>;
  cancelTask(taskId: string): Promise<Task>;
  retryTask(taskId: string): Promise<Task>;
  getContent(contentId: string): Promise<Content>;
  listTaskClips(taskId: string): Promise<Page<Content>>;
  /** The file route's response, status 200 with a body (errors thrown like every call). */
  openContentFile(contentId: string, kind: 'file' | 'thumbnail'): Promise<Response>;
}

/** A client of the gateway's HTTP API at `credentials.url`, authenticated with the bearer credential. */
export function createApiClient(credentials: Credentials, fetchFn: typeof fetch): ApiClient {
  const base = credentials.url;

  async function send(
    method: string,
    path: string,
    init: { body?: RequestInit['body']; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Response> {
    const target = `${base}${path}`;
    let res: Response;
    try {
      res = await fetchFn(target, {
        method,
        headers: { authorization: `Bearer ${credentials.token}`, accept: 'application/json', ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
        ...(init.timeoutMs ? { signal: AbortSignal.timeout(init.timeoutMs) } : {}),
      });
    } catch (err) {
      throw unreachable(`${method} ${target}`, err);
    }
    if (!res.ok) throw await apiErrorOf(res, `${method} ${path}`);
    return res;
  }

  async function json<T>(
    method: string,
    path: string,
    expected: readonly string[],
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const res = await send(method, path, {
      timeoutMs: CALL_TIMEOUT_MS,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    });
    return readJson<T>(res, `${method} ${path}`, expected);
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    url: base,
    wsUrl: `${base.replace(/^http/, 'ws')}/api/v1/ws`,
    token: credentials.token,
    listAccounts: () => json('GET', '/api/v1/accounts', ['items']),
    createAccount: (name) => json('POST', '/api/v1/accounts', ['id', 'name'], { body: { name } }),
    async upload(file) {
      let blob: Blob;
      try {
        if (!(await stat(file)).isFile()) throw new UsageError(`${file} is not a file`);
        blob = await openAsBlob(file);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new UsageError(`no such file: ${file}`);
        throw new LocalFileError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
      }
      const form = new FormData();
      form.append('file', blob, basename(file));
      // No timeout: a large file takes as long as it takes; the gateway drops an idle upload itself.
      const res = await send('POST', '/api/v1/uploads', { body: form });
      return readJson<Upload>(res, 'POST /api/v1/uploads', ['id', 'kind', 'sizeBytes']);
    },
    listSources: (accountId, limit) =>
      json('GET', `/api/v1/accounts/${id(accountId)}/sources?limit=${limit}`, ['items', 'nextCursor']),
    registerSource: (accountId, body) =>
      json('POST', `/api/v1/accounts/${id(accountId)}/sources`, ['id', 'state'], { body }),
    startGeneration: (accountId, body, idempotencyKey) =>
      json('POST', `/api/v1/accounts/${id(accountId)}/generations`, ['generation', 'shortBy'], {
        body,
        headers: { 'idempotency-key': idempotencyKey },
      }),
    getGeneration: (generationId) =>
      json('GET', `/api/v1/generations/${id(generationId)}`, ['id', 'status', 'counters', 'taskIds']),
    getTask: (taskId) => json('GET', `/api/v1/tasks/${id(taskId)}`, ['id', 'status', 'stage', 'percent']),
    listTasks(query) {
      const params = new URLSearchParams();
      if (query.accountId) params.set('accountId', query.accountId);
      if (query.status) params.set('status', query.status);
      if (query.limit) params.set('limit', String(query.limit));
      if (query.cursor) params.set('cursor', query.cursor);
      const qs = params.size > 0 ? `?${params.toString()}` : '';
      return json('GET', `/api/v1/tasks${qs}`, ['items', 'nextCursor']);
    },
    cancelTask: (taskId) => json('POST', `/api/v1/tasks/${id(taskId)}/cancel`, ['id', 'status']),
    retryTask: (taskId) => json('POST', `/api/v1/tasks/${id(taskId)}/retry`, ['id', 'status']),
    getContent: (contentId) => json('GET', `/api/v1/content/${id(contentId)}`, ['id', 'sizeBytes']),
    listTaskClips: (taskId) => json('GET', `/api/v1/tasks/${id(taskId)}/clips`, ['items', 'nextCursor']),
    async openContentFile(contentId, kind) {
      const res = await send('GET', `/api/v1/content/${id(contentId)}/${kind}`, { headers: { accept: '*/*' } });
      if (res.status !== 200 || !res.body) {
        throw new UnreachableError(
          `GET ${base}/api/v1/content/${contentId}/${kind} answered ${res.status} without a file`,
        );
      }
      return res;
    },
  };
}

/** A failed fetch, said plainly: refused, unknown host, timed out. */
function unreachable(what: string, err: unknown): UnreachableError {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new UnreachableError(`${what}: no answer within ${CALL_TIMEOUT_MS / 1000} s`, { cause: err });
  }
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const reason =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : err instanceof Error
          ? err.message
          : String(err);
  return new UnreachableError(`cannot reach the gateway (${what}): ${reason}`, { cause: err });
}

/** The gateway's error shape `{ error: { code, message, details? } }`, or the bare status when the body is something else. */
async function apiErrorOf(res: Response, what: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      const details =
        typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : undefined;
      return new ApiError(res.status, e.code, e.message, details);
    }
  } catch {
    // not JSON: a proxy's page, or not the gateway at all
  }
  return new ApiError(res.status, `HTTP_${res.status}`, `${what} answered ${res.status} ${res.statusText}`.trim());
}

/** The JSON body, checked to be an object with the keys the CLI reads; anything else is not the gateway's API. */
async function readJson<T>(res: Response, what: string, expected: readonly string[]): Promise<T> {
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new UnreachableError(`${what} answered something that is not JSON: is this a Reelforge gateway?`, {
      cause: err,
    });
  }
  const missing =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? expected.filter((key) => !(key in body))
      : expected;
  if (missing.length > 0) {
    throw new UnreachableError(
      `${what} answered JSON without ${missing.join(', ')}: is this a Reelforge gateway of this version?`,
    );
  }
  return body as T;
}
