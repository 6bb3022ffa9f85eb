import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { newTenant, watchAccount } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

interface Links {
  videoUrl: string;
  thumbnailUrl: string | null;
  expiresAt: string;
}

// Signed media links, the way a <video> element uses them: no Authorization header, Range
// requests, a bounded life; strangers get no link, and a link names one file only.
describe('signed media links', () => {
  let stack: Stack;
  let owner: Awaited<ReturnType<typeof newTenant>>;
  let clip: { id: string; mediaKey: string };

  beforeAll(async () => {
    stack = await startStack();
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    const files = await serveFiles({ 'source.mp4': video });
    try {
      owner = await newTenant(stack, 'tenant-links', [files.url('source.mp4')]);
      const ws = await watchAccount(stack, owner.bearer, owner.account.id);
      const started = await owner.api.startGeneration(owner.account.id, {
        type: 'links',
        options: { width: 360, preset: 'ultrafast' },
      });
      const { generation } = (await started.json()) as StartedGeneration;
      await ws.waitFor(
        'generation completed',
        (m) =>
          m.type === 'job_status' &&
          m.job_id === generation.id &&
          (m.status as { status: string }).status === 'completed',
      );
      ws.close();
      const [row] = await stack.sql<{ id: string; media_key: string }>(
        'repurposer',
        'select id, media_key from $schema.generated_content where task_id = ?',
        [generation.taskIds[0]],
      );
      clip = { id: row!.id, mediaKey: row!.media_key };
    } finally {
      await files.close();
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const sign = async (bearer: string, contentId: string, body?: unknown) =>
    fetch(`${stack.gatewayUrl}/api/v1/content/${contentId}/links`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('plays without a bearer header, with Range, for the link’s life only (cache included)', async () => {
    const before = Date.now();
    const res = await sign(owner.bearer, clip.id);
    expect(res.status).toBe(200);
    const links = (await res.json()) as Links;
    const life = Date.parse(links.expiresAt) - before;
    expect(life).toBeGreaterThan(3590_000);
    expect(life).toBeLessThanOrEqual(3602_000);
    expect(links.videoUrl).toMatch(/^\/api\/v1\/media\/[\w-]+\.[\w-]+$/);

    const bytes = readFileSync(join(stack.mediaRoot, clip.mediaKey));
    const part = await fetch(`${stack.gatewayUrl}${links.videoUrl}`, { headers: { range: 'bytes=100-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.length}`);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 1100))).toBe(true);
    const whole = await fetch(`${stack.gatewayUrl}${links.videoUrl}`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const maxAge = Number(/max-age=(\d+)/.exec(whole.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(3500);
    expect(maxAge).toBeLessThanOrEqual(3600);
    // Embeddable in another site's page (the bearer routes stay same-origin).
    expect(whole.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(
      (
        await fetch(`${stack.gatewayUrl}/api/v1/content/${clip.id}`, {
          headers: { authorization: `Bearer ${owner.bearer}` },
        })
      ).headers.get('cross-origin-resource-policy'),
    ).toBe('same-origin');

    const thumb = await fetch(`${stack.gatewayUrl}${links.thumbnailUrl!}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');

    // A short link: the browser may not keep the bytes past it.
    const short = (await (await sign(owner.bearer, clip.id, { ttlSeconds: 30 })).json()) as Links;
    const shortRes = await fetch(`${stack.gatewayUrl}${short.videoUrl}`, { headers: { range: 'bytes=0-9' } });
    expect(shortRes.status).toBe(206);
    expect(Number(/max-age=(\d+)/.exec(shortRes.headers.get('cache-control') ?? '')?.[1])).toBeLessThanOrEqual(30);
  });

  it('a life out of bounds is a 400 naming the field', async () => {
    for (const ttlSeconds of [0, 5, 86_401, 'an hour']) {
      const res = await sign(owner.bearer, clip.id, { ttlSeconds });
      expect(res.status, String(ttlSeconds)).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('ttlSeconds');
    }
  });

  it('a stranger gets no link (404, as for the clip itself), and no byte through a forged or altered one', async () => {
    const stranger = await stack.bearer('tenant-links-stranger');
    expect((await sign(stranger, clip.id)).status).toBe(404);

    const links = (await (await sign(owner.bearer, clip.id)).json()) as Links;
    const token = links.videoUrl.split('/').pop()!;
    const [body, signature] = token.split('.') as [string, string];
    // The stranger rewrites the link to name themself, or another kind, under the owner's signature.
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const altered = [
      { ...payload, p: { id: 'tenant-links-stranger', roles: [] } },
      { ...payload, e: (payload.e as number) + 86_400 },
    ].map((p) => `${Buffer.from(JSON.stringify(p)).toString('base64url')}.${signature}`);
    for (const t of [...altered, `${body}.${'A'.repeat(signature.length)}`, 'not-a-link']) {
      const res = await fetch(`${stack.gatewayUrl}/api/v1/media/${t}`);
      expect(res.status, t.slice(0, 30)).toBe(401);
      const text = await res.text();
      expect(text).toContain('media link is not valid');
      expect(text).not.toContain('ftyp'); // no MP4 byte before a refusal
    }
    // A bearer header does not stand in for the link either.
    const withBearer = await fetch(`${stack.gatewayUrl}/api/v1/media/not-a-link`, {
      headers: { authorization: `Bearer ${owner.bearer}` },
    });
    expect(withBearer.status).toBe(401);
  });

  it('dies with the clip, and never reaches a log line', async () => {
    const links = (await (await sign(owner.bearer, clip.id)).json()) as Links;
    expect((await fetch(`${stack.gatewayUrl}${links.videoUrl}`, { headers: { range: 'bytes=0-0' } })).status).toBe(206);
    const api = apiClient(stack.gatewayUrl, owner.bearer);
    expect((await api.call(`/api/v1/content/${clip.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(`${stack.gatewayUrl}${links.videoUrl}`);
    expect(gone.status).toBe(404);

    const token = links.videoUrl.split('/').pop()!;
    const text = stack.logs
      .lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    expect(text).toContain('/api/v1/media/***');
    expect(text).not.toContain(token.split('.')[1]!);
  });
});
