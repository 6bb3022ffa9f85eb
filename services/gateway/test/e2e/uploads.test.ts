import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';

const MAX = 2 * 1024 * 1024;

// Uploading a source video: streamed to the media store, checked by its content with ffprobe,
// size-limited, owned by its uploader; a source registered from it renders like any other.
describe('uploads', () => {
  let stack: Stack;
  let video: Buffer;
  beforeAll(async () => {
    stack = await startStack({ env: { MAX_UPLOAD_BYTES: String(MAX) } });
    video = readFileSync(
      await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'up.mp4'), {
        seconds: 2,
        width: 320,
        height: 180,
      }),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const upload = (bearer: string, bytes: Buffer, name = 'clip.mp4') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}` },
      body: form,
    });
  };

  it('accepts a video, registers it as a source and renders it', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-upload', []);
    const res = await upload(bearer, video);
    expect(res.status).toBe(201);
    const up = (await res.json()) as {
      id: string;
      sizeBytes: number;
      width: number;
      height: number;
      durationSeconds: number;
    };
    expect(up).toMatchObject({ sizeBytes: video.length, width: 320, height: 180 });
    expect(up.durationSeconds).toBeGreaterThan(1.5);
    expect((await api.post(`/api/v1/accounts/${account.id}/sources`, { uploadId: up.id })).status).toBe(201);

    const ws = await watchAccount(stack, bearer, account.id);
    const { generation } = (await (
      await api.startGeneration(account.id, { type: 'shorts', options: { width: 360, preset: 'ultrafast' } })
    ).json()) as StartedGeneration;
    await ws.waitFor(
      'completed',
      (m) =>
        m.type === 'job_status' &&
        m.job_id === generation.id &&
        (m.status as { status: string }).status === 'completed',
    );
    ws.close();
    // Another tenant cannot use the upload.
    const other = await newTenant(stack, 'tenant-upload-2', []);
    expect((await other.api.post(`/api/v1/accounts/${other.account.id}/sources`, { uploadId: up.id })).status).toBe(
      404,
    );
  });

  it('refuses what is not a video (by content), what is too large, and keeps nothing of either', async () => {
    const { bearer } = await newTenant(stack, 'tenant-upload-bad', []);
    const text = await upload(bearer, Buffer.from('definitely not a video '.repeat(100)), 'fake.mp4');
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const big = await upload(bearer, Buffer.concat([video, Buffer.alloc(MAX)]));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const notMultipart = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(notMultipart.status).toBe(415);
    expect(
      await stack.sql('gateway', "select 1 from $schema.uploads where principal_id = 'tenant-upload-bad'"),
    ).toHaveLength(0);
    // Only the first test's accepted upload is in the store: refused files were removed.
    expect(readdirSync(join(stack.mediaRoot, 'uploads'))).toHaveLength(1);
  });
});
