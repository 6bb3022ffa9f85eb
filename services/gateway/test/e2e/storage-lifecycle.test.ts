import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { eventually, makeTestVideo } from '@reelforge/testing';
import { openSse } from '../support/sse-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

type Tenant = Awaited<ReturnType<typeof newTenant>>;

const upload = (stack: Stack, bearer: string, bytes: Buffer) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), 'source.mp4');
  return fetch(`${stack.gatewayUrl}/api/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}` },
    body: form,
  });
};

/** Renders one short clip through POST /tasks and returns the task's final SSE event and its clips. */
async function renderOne(stack: Stack, t: Tenant, uploadId: string) {
  const created = await t.api.post('/api/v1/tasks', {
    accountId: t.account.id,
    uploadId,
    options: { width: 360, preset: 'ultrafast', segments: [{ parts: [{ start: 0, end: 1.2 }] }] },
  });
  const task = (await created.json()) as { id: string };
  expect(created.status, JSON.stringify(task)).toBe(202);
  const events = await (await openSse(stack.gatewayUrl, `/api/v1/tasks/${task.id}/events`, t.bearer)).rest();
  const clips = (await (await t.api.call(`/api/v1/tasks/${task.id}/clips`)).json()) as {
    items: { id: string; sizeBytes: number }[];
  };
  return {
    task,
    last: events.at(-1)?.data as { status: { status: string; error: { code: string; message: string } | null } },
    clips: clips.items,
  };
}

// Nothing grows forever: clips expire at their account's retention, owners delete clips and
// uploads, and quotas stop an account or a caller from filling the store.
describe('media retention, deletion and quotas', () => {
  let stack: Stack;
  let video: Buffer;
  beforeAll(async () => {
    stack = await startStack({ env: { PRUNE_INTERVAL: '300ms', MEDIA_RETENTION: '30d' } });
    video = readFileSync(
      await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'v.mp4'), {
        seconds: 2,
        width: 320,
        height: 180,
      }),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("a clip is kept for its account's retention (or the default), then its files and row are deleted", async () => {
    const t = await newTenant(stack, 'tenant-retention', []);
    const up = (await (await upload(stack, t.bearer, video)).json()) as { id: string };
    const byDefault = await renderOne(stack, t, up.id);
    const patched = await t.api.call(`/api/v1/accounts/${t.account.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ mediaRetentionDays: 1 }),
    });
    expect(((await patched.json()) as { mediaRetentionDays: number }).mediaRetentionDays).toBe(1);
    const short = await renderOne(stack, t, up.id);
    const days = async (id: string) =>
      (
        await stack.sql<{ d: number }>(
          'repurposer',
          `select round(extract(epoch from expires_at - created_at) / 86400)::int as d from $schema.generated_content where id = ?`,
          [id],
        )
      )[0]?.d;
    expect(await days(byDefault.clips[0]!.id)).toBe(30);
    expect(await days(short.clips[0]!.id)).toBe(1);
    const storage = (await (await t.api.call(`/api/v1/accounts/${t.account.id}/storage`)).json()) as {
      usedBytes: number;
      clips: number;
      mediaRetentionDays: number;
    };
    expect(storage).toMatchObject({ clips: 2, mediaRetentionDays: 1 });
    expect(storage.usedBytes).toBe(byDefault.clips[0]!.sizeBytes + short.clips[0]!.sizeBytes);

    // A day later (moved back in the database): the expiry deletes the clip's files, then its row.
    const [keys] = await stack.sql<{ media_key: string; thumbnail_key: string }>(
      'repurposer',
      `update $schema.generated_content set expires_at = now() - interval '1 second' where id = ? returning media_key, thumbnail_key`,
      [short.clips[0]!.id],
    );
    await eventually(
      'the expired clip to go',
      async () => ((await t.api.call(`/api/v1/content/${short.clips[0]!.id}`)).status === 404 ? true : undefined),
      15_000,
    );
    expect(existsSync(join(stack.mediaRoot, keys!.media_key))).toBe(false);
    expect(existsSync(join(stack.mediaRoot, keys!.thumbnail_key))).toBe(false);
    expect((await t.api.call(`/api/v1/content/${byDefault.clips[0]!.id}`)).status).toBe(200);
  });

  it('an owner deletes a clip and an upload; another tenant cannot', async () => {
    const t = await newTenant(stack, 'tenant-delete', []);
    const stranger = await newTenant(stack, 'tenant-delete-stranger', []);
    const up = (await (await upload(stack, t.bearer, video)).json()) as { id: string };
    const { clips } = await renderOne(stack, t, up.id);
    const clip = clips[0]!;
    const [row] = await stack.sql<{ media_key: string }>(
      'repurposer',
      `select media_key from $schema.generated_content where id = ?`,
      [clip.id],
    );
    expect((await stranger.api.call(`/api/v1/content/${clip.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await stranger.api.call(`/api/v1/uploads/${up.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await t.api.call(`/api/v1/content/${clip.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.api.call(`/api/v1/content/${clip.id}`)).status).toBe(404);
    expect(existsSync(join(stack.mediaRoot, row!.media_key))).toBe(false);
    expect((await t.api.call(`/api/v1/uploads/${up.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(existsSync(join(stack.mediaRoot, 'uploads', up.id))).toBe(false);
    // A deleted upload is no longer a usable source.
    expect((await t.api.post(`/api/v1/accounts/${t.account.id}/sources`, { uploadId: up.id })).status).toBe(404);
  });
});

describe('storage quotas', () => {
  let stack: Stack;
  let video: Buffer;
  beforeAll(async () => {
    const made = readFileSync(
      await makeTestVideo(inject('ffmpegPath'), join(tmpdir(), `reelforge-quota-${process.pid}.mp4`), {
        seconds: 2,
        width: 320,
        height: 180,
      }),
    );
    video = made;
    // One upload fits, a second does not; one clip byte is already too many for an account.
    stack = await startStack({
      env: { ACCOUNT_STORAGE_QUOTA_BYTES: '1', UPLOAD_STORAGE_QUOTA_BYTES: String(Math.floor(made.length * 1.5)) },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a render that would pass the account quota fails, saying so, and stores nothing; a full account gets 422 before any work', async () => {
    const t = await newTenant(stack, 'tenant-quota', []);
    const up = (await (await upload(stack, t.bearer, video)).json()) as { id: string };
    const { task: failedTask, last, clips } = await renderOne(stack, t, up.id);
    expect(last.status.status).toBe('failed');
    expect(last.status.error?.code).toBe('STORAGE_QUOTA_EXCEEDED');
    expect(last.status.error?.message).toMatch(/of its 1 bytes/);
    expect(clips).toEqual([]);
    expect(existsSync(join(stack.mediaRoot, t.account.id))).toBe(false);

    // An account already at its quota is refused up front, for tasks and generations alike.
    await stack.sql(
      'repurposer',
      `insert into $schema.generated_content (id, task_id, account_id, clip_index, media_key, duration_seconds, size_bytes, width, height, checksum_sha256, owner_id) values (gen_random_uuid(), ?, ?, 0, ?, 1, 10, 1, 1, 'x', 'tenant-quota')`,
      [failedTask.id, t.account.id, `${t.account.id}/x/1/clip-00.mp4`],
    );
    const task = await t.api.post('/api/v1/tasks', {
      accountId: t.account.id,
      uploadId: up.id,
      options: { width: 360 },
    });
    expect(task.status).toBe(422);
    expect(((await task.json()) as { error: { message: string } }).error.message).toMatch(
      /uses 10 of its 1 bytes of clip storage/,
    );
    await t.api.addSource(t.account.id, `http://127.0.0.1:9/none.mp4`);
    expect((await t.api.startGeneration(t.account.id, { type: 'shorts' })).status).toBe(422);
  });

  it('uploads past the caller’s upload quota are a 413, and nothing of them is kept; deleting one makes room', async () => {
    const t = await newTenant(stack, 'tenant-upload-quota', []);
    const first = await upload(stack, t.bearer, video);
    expect(first.status).toBe(201);
    const second = await upload(stack, t.bearer, video);
    expect(second.status).toBe(413);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(/bytes of upload storage/);
    expect(
      await stack.sql('gateway', `select 1 from $schema.uploads where principal_id = 'tenant-upload-quota'`),
    ).toHaveLength(1);
    expect(
      (await t.api.call(`/api/v1/uploads/${((await first.json()) as { id: string }).id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await upload(stack, t.bearer, video)).status).toBe(201);
  });
});
