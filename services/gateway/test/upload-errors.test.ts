import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';

// Our own failure while checking an upload is a 503 naming the cause, never a 415 that blames the file.
describe('upload checks that fail on our side', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      withRepurposer: false,
      withOrchestrator: false,
      env: { FFPROBE_PATH: '/nonexistent/ffprobe' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a missing ffprobe is a 503 that says so, and the upload is not kept', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(4096)]), 'clip.mp4');
    const res = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.bearer('tenant-probe')}` },
      body: form,
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.error.message).toMatch(/could not be checked: ffprobe is not installed/);
    const uploads = join(stack.mediaRoot, 'uploads');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
  });
});
