import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { makeTestVideo } from '@reelforge/testing';
import { openSse } from '../support/sse-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

const run = promisify(execFile);
const W = 360;
const MAX_IMAGE = 256 * 1024;

/** An image made by ffmpeg's lavfi sources (`source` e.g. `color=c=yellow:s=200x100`). */
async function makeImage(dir: string, name: string, source: string): Promise<Buffer> {
  const out = join(dir, name);
  await run(inject('ffmpegPath'), [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    source,
    '-frames:v',
    '1',
    out,
  ]);
  return readFileSync(out);
}

/** One decoded frame at `seconds`, as raw RGB. */
async function frameAt(file: string, seconds: number): Promise<Buffer> {
  const { stdout } = await run(
    inject('ffmpegPath'),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      String(seconds),
      '-i',
      file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}
const pixel = (frame: Buffer, x: number, y: number) => [...frame.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];

// A logo is an image upload: accepted by POST /uploads (PNG/JPEG/WebP, size- and pixel-limited),
// usable only as a logo, and burned into the clip's corner.
describe('logo uploads', () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack({ env: { MAX_IMAGE_UPLOAD_BYTES: String(MAX_IMAGE) } });
    dir = stack.mediaRoot;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const upload = (bearer: string, bytes: Buffer, name: string) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}` },
      body: form,
    });
  };

  it('a PNG uploaded through POST /uploads is overlaid in the chosen corner of the rendered clip', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-logo', []);
    const res = await upload(bearer, await makeImage(dir, 'logo.png', 'color=c=yellow:s=200x100'), 'logo.png');
    const logo = (await res.json()) as {
      id: string;
      kind: string;
      width: number;
      height: number;
      durationSeconds: number | null;
    };
    expect(res.status, JSON.stringify(logo)).toBe(201);
    expect(logo).toMatchObject({ kind: 'image', width: 200, height: 100, durationSeconds: null });
    const video = readFileSync(await makeTestVideo(inject('ffmpegPath'), join(dir, 'source.mp4'), { seconds: 3 }));
    const source = (await (await upload(bearer, video, 'source.mp4')).json()) as { id: string; kind: string };
    expect(source.kind).toBe('video');

    const created = await api.post('/api/v1/tasks', {
      accountId: account.id,
      uploadId: source.id,
      options: {
        width: W,
        preset: 'ultrafast',
        mode: 'pad',
        padColor: '#000000',
        segments: [{ parts: [{ start: 0.2, end: 1.8 }] }],
        logo: { uploadId: logo.id, position: 'top-right', scale: 0.25, opacity: 1 },
      },
    });
    const task = (await created.json()) as { id: string };
    expect(created.status, JSON.stringify(task)).toBe(202);
    const events = await (await openSse(stack.gatewayUrl, `/api/v1/tasks/${task.id}/events`, bearer)).rest();
    expect(events.at(-1)?.data.status, JSON.stringify(events.at(-1))).toMatchObject({ status: 'completed' });

    const clips = (await (await api.call(`/api/v1/tasks/${task.id}/clips`)).json()) as { items: { id: string }[] };
    expect(clips.items).toHaveLength(1);
    const file = await api.call(`/api/v1/content/${clips.items[0]!.id}/file`);
    expect(file.status).toBe(200);
    const clipPath = join(dir, 'clip.mp4');
    writeFileSync(clipPath, Buffer.from(await file.arrayBuffer()));
    const frame = await frameAt(clipPath, 1);
    // The logo's corner is yellow; the opposite corner is the black pad bar.
    const [r, g, b] = pixel(frame, W - 30, 30);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
    const [lr, lg, lb] = pixel(frame, 30, 30);
    expect(lr! + lg! + lb!).toBeLessThan(60);
  });

  it('an image is no source and a video no logo (422); JPEG and WebP are accepted; too many bytes is 413, too many pixels 422', async () => {
    const { bearer, api, account } = await newTenant(stack, 'tenant-logo-kinds', []);
    const jpeg = await upload(bearer, await makeImage(dir, 'logo.jpg', 'color=c=red:s=64x64'), 'logo.jpg');
    expect(jpeg.status).toBe(201);
    const image = (await jpeg.json()) as { id: string; kind: string };
    expect(image.kind).toBe('image');
    const webp = await upload(bearer, await makeImage(dir, 'logo.webp', 'color=c=green:s=48x32'), 'logo.webp');
    expect(await webp.json()).toMatchObject({ kind: 'image', width: 48, height: 32 });
    const video = (await (
      await upload(
        bearer,
        readFileSync(
          await makeTestVideo(inject('ffmpegPath'), join(dir, 'v.mp4'), { seconds: 2, width: 320, height: 180 }),
        ),
        'v.mp4',
      )
    ).json()) as { id: string };

    const asSource = await api.post('/api/v1/tasks', { accountId: account.id, uploadId: image.id });
    expect(asSource.status).toBe(422);
    expect(await asSource.json()).toMatchObject({
      error: { code: 'UNPROCESSABLE', details: { field: 'body/uploadId' } },
    });
    expect((await api.post(`/api/v1/accounts/${account.id}/sources`, { uploadId: image.id })).status).toBe(422);
    const asLogo = await api.post('/api/v1/tasks', {
      accountId: account.id,
      uploadId: video.id,
      options: { logo: { uploadId: video.id } },
    });
    expect(asLogo.status).toBe(422);
    expect(await asLogo.json()).toMatchObject({
      error: { code: 'UNPROCESSABLE', details: { field: 'body/options/logo/uploadId' } },
    });

    // Random pixels do not compress: well over the image limit, far under the video limit.
    const big = await upload(
      bearer,
      await makeImage(dir, 'noise.png', 'nullsrc=s=600x600,geq=random(1)*255:128:128'),
      'noise.png',
    );
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const wide = await upload(bearer, await makeImage(dir, 'wide.png', 'color=c=blue:s=4100x8'), 'wide.png');
    expect(wide.status).toBe(422);
    expect(((await wide.json()) as { error: { message: string } }).error.message).toMatch(
      /4100×8 pixels; at most 4096×4096/,
    );
    const kept = await stack.sql<{ kind: string }>(
      'gateway',
      "select kind from $schema.uploads where principal_id = 'tenant-logo-kinds' order by kind",
    );
    expect(kept.map((k) => k.kind)).toEqual(['image', 'image', 'video']);
  });
});
