/** A small typed client for the gateway's HTTP API, as a test's user would call it. */
export function apiClient(baseUrl: string, bearer: string | undefined) {
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...Object.fromEntries(new Headers(init.headers).entries()),
      },
    });
  const post = (path: string, body: unknown) =>
    call(path, body === undefined ? { method: 'POST' } : { method: 'POST', body: JSON.stringify(body) });
  return {
    call,
    post,
    async createAccount(name: string): Promise<{ id: string }> {
      const res = await post('/api/v1/accounts', { name });
      if (res.status !== 201) throw new Error(`create account: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    async addSource(accountId: string, url: string): Promise<{ id: string }> {
      const res = await post(`/api/v1/accounts/${accountId}/sources`, { url });
      if (res.status !== 201) throw new Error(`add source: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    startGeneration: (accountId: string, body: Record<string, unknown>) =>
      post(`/api/v1/accounts/${accountId}/generations`, body),
  };
}

export interface StartedGeneration {
  generation: { id: string; taskIds: string[]; counters: { totalRequested: number } };
  shortBy: number;
}
