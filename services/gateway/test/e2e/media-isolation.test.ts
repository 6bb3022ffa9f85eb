import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';

// A "video" that is really a playlist or a concat list names other files: ffmpeg would read them
// and render another tenant's media into the attacker's clip. Through the public paths a user
// takes (upload, source URL), such files are refused and nothing of tenant A's reaches tenant B.
describe('media containers that name other files are refused', () => {
  let stack: Stack;
  let victimFile: string;
  beforeAll(async () => {
    stack = await startStack();
    const a = await newTenant(stack, 'tenant-a-media', []);
    const video = readFileSync(
      await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'a.mp4'), {
        seconds: 2,
        width: 320,
        height: 180,
      }),
    );
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(video)]), 'a.mp4');
    const res = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.bearer}` },
      body: form,
    });
    expect(res.status).toBe(201);
    victimFile = join(stack.mediaRoot, 'uploads', ((await res.json()) as { id: string }).id, 'source');
    expect(readFileSync(victimFile).length).toBe(video.length);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const playlists = () => ({
    hls: `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\n${victimFile}\n#EXT-X-ENDLIST\n`,
    concat: `ffconcat version 1.0\nfile '${victimFile}'\n`,
  });

  it('an upload that is an HLS playlist or a concat list naming tenant A’s file is a 415 naming the container; nothing is kept', async () => {
    const b = await newTenant(stack, 'tenant-b-upload', []);
    for (const [format, text] of Object.entries(playlists())) {
      const form = new FormData();
      form.append('file', new Blob([text]), 'holiday.mp4');
      const res = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${b.bearer}` },
        body: form,
      });
      expect(res.status, format).toBe(415);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(body.error.message).toContain(`"${format}" container, which is not accepted`);
    }
    expect(
      await stack.sql('gateway', "select 1 from $schema.uploads where principal_id = 'tenant-b-upload'"),
    ).toHaveLength(0);
  });

  it('a source URL serving such a playlist fails its task permanently with INVALID_INPUT; tenant B gets no clip and no byte of A’s file', async () => {
    const files: Record<string, string> = {};
    for (const [format, text] of Object.entries(playlists())) {
      files[format] = join(stack.mediaRoot, `${format}.mp4`);
      writeFileSync(files[format], text);
    }
    const server = await serveFiles(files);
    try {
      for (const format of Object.keys(files)) {
        const b = await newTenant(stack, `tenant-b-url-${format}`, [server.url(format)]);
        const ws = await watchAccount(stack, b.bearer, b.account.id);
        const res = await b.api.startGeneration(b.account.id, {
          type: 'shorts',
          options: { width: 360, preset: 'ultrafast' },
        });
        expect(res.status).toBe(202);
        const { generation } = (await res.json()) as StartedGeneration;
        const failed = await ws.waitFor(
          'task failed',
          (m) => m.type === 'job_status' && m.kind === 'task' && (m.status as { status: string }).status === 'failed',
        );
        const error = (failed.status as { error: { code: string; message: string } }).error;
        expect(error.code).toBe('INVALID_INPUT');
        expect(error.message).toContain(`"${format}" container, which is not accepted`);
        await ws.waitFor(
          'generation closed',
          (m) =>
            m.type === 'job_status' &&
            m.job_id === generation.id &&
            (m.status as { status: string }).status === 'failed',
        );
        ws.close();
        // One attempt: a permanent failure is not retried.
        const [task] = await stack.sql<{ attempts: number }>(
          'repurposer',
          `select (select count(*)::int from $schema.task_attempts a where a.task_id = t.id) as attempts from $schema.tasks t where t.account_id = ?`,
          [b.account.id],
        );
        expect(task?.attempts).toBe(1);
        const content = (await (await b.api.call(`/api/v1/content?account_id=${b.account.id}`)).json()) as {
          items: unknown[];
        };
        expect(content.items).toEqual([]);
        expect(readdirSync(stack.mediaRoot)).not.toContain(b.account.id);
      }
    } finally {
      await server.close();
    }
  });
});
