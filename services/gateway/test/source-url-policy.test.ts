import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';

// SSRF: with private targets not allowed (the default), a source URL aimed at this machine or the
// cloud metadata address is refused when it is registered, with a reason, and nothing is stored.
describe('source URL policy at registration', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false, env: { SOURCE_URL_ALLOW_PRIVATE: 'false' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses loopback, private and link-local targets with 422', async () => {
    const api = apiClient(stack.gatewayUrl, await stack.bearer('ssrf'));
    const account = await api.createAccount('SSRF');
    for (const url of [
      'http://127.0.0.1:4222/',
      'http://localhost:5432/x.mp4',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/v.mp4',
      'http://10.0.0.8/v.mp4',
      'http://0.0.0.0/v.mp4',
    ]) {
      const res = await api.post(`/api/v1/accounts/${account.id}/sources`, { url });
      expect(res.status, url).toBe(422);
      expect(await res.json()).toMatchObject({ error: { code: 'UNPROCESSABLE', details: { field: 'body/url' } } });
    }
    // The same for a captions URL next to a public source, and for POST /tasks.
    const captions = await api.post(`/api/v1/accounts/${account.id}/sources`, {
      url: 'https://93.184.216.34/v.mp4',
      captionsUrl: 'http://169.254.169.254/c.srt',
    });
    expect(captions.status).toBe(422);
    expect(await captions.json()).toMatchObject({
      error: { code: 'UNPROCESSABLE', details: { field: 'body/captionsUrl' } },
    });
    const task = await api.post('/api/v1/tasks', { accountId: account.id, url: 'http://10.0.0.8/v.mp4' });
    expect(task.status).toBe(422);
    expect(
      await stack.sql('orchestrator', 'select 1 from $schema.source_videos where account_id = ?', [account.id]),
    ).toHaveLength(0);
  });
});
