import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { STREAMS } from '@reelforge/contracts';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import { apiClient, type StartedGeneration } from '../support/api-client.ts';
import { newTenant } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

interface Page {
  items: { id: string; kind: string; subjectId: string; accountId: string; readAt: string | null }[];
  unread: number;
  nextCursor: string | null;
}

// A generation that ends tells its owner, once, in-app: through the real stack and the public API.
describe('in-app notifications', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;

  beforeAll(async () => {
    stack = await startStack({ withNotifier: true });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    files = await serveFiles({ 'source.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  it('a finished generation gives its owner one unread notification, others none; read clears it; a redelivery adds nothing', async () => {
    const { api, account } = await newTenant(stack, 'notify-owner', [files.url('source.mp4')]);
    const other = apiClient(stack.gatewayUrl, await stack.bearer('notify-other'));
    const list = async (client: ReturnType<typeof apiClient>) => {
      const res = await client.call('/api/v1/notifications');
      expect(res.status).toBe(200);
      return (await res.json()) as Page;
    };

    const start = await api.startGeneration(account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(start.status).toBe(202);
    const { generation } = (await start.json()) as StartedGeneration;

    const page = await eventually(
      'the owner is notified',
      async () => {
        const p = await list(api);
        return p.items.length > 0 ? p : undefined;
      },
      60_000,
    );
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      kind: 'generation.completed',
      subjectId: generation.id,
      accountId: account.id,
      readAt: null,
    });
    expect(page.unread).toBe(1);

    // Another tenant sees nothing and cannot mark the owner's notification.
    expect(await list(other)).toMatchObject({ items: [], unread: 0 });
    const foreign = await other.post('/api/v1/notifications/read', { ids: [page.items[0]!.id] });
    expect(await foreign.json()).toEqual({ updated: 0, unread: 0 });

    // The same fact again (a relay re-send past the duplicate window): the inbox absorbs it.
    const [row] = await stack.sql<{ subject: string; envelope: { id: string } }>(
      'orchestrator',
      `select subject, envelope from $schema.outbox where envelope->>'type' = 'content.generation.updated.v1' and envelope->'data'->>'status' = 'completed'`,
    );
    expect(row).toBeDefined();
    const m = stack.notifier!.platform.messaging;
    const ack = await m.js.publish(m.subject(row!.subject), JSON.stringify(row!.envelope), { msgID: randomUUID() });
    await eventually('the notifier handled the re-sent fact', async () => {
      const info = await m.jsm.consumers.info(
        m.stream(STREAMS.CONTENT.name),
        `${m.ns.streamPrefix}notifier-generations`,
      );
      return info.delivered.stream_seq >= ack.seq && info.num_ack_pending === 0 ? true : undefined;
    });
    expect((await list(api)).items).toHaveLength(1);

    const read = await api.post('/api/v1/notifications/read', { all: true });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ updated: 1, unread: 0 });
    const after = await list(api);
    expect(after.unread).toBe(0);
    expect(after.items[0]!.readAt).not.toBeNull();
    // Read today is kept (NOTIFICATION_RETENTION): the prune rule runs and deletes nothing yet.
    expect(await stack.notifier!.prune()).toMatchObject({ 'read-notifications': 0, 'finished-mails': 0 });
    expect((await list(api)).items).toHaveLength(1);
  });

  it('a task started on its own that fails tells its owner, and no one else', async () => {
    const { api, account } = await newTenant(stack, 'notify-task-owner', []);
    const other = apiClient(stack.gatewayUrl, await stack.bearer('notify-task-other'));
    const notes = join(stack.mediaRoot, 'notes.mp4');
    writeFileSync(notes, 'these are notes, not a video\n'.repeat(50));
    const server = await serveFiles({ 'notes.mp4': notes });
    try {
      const created = await api.post('/api/v1/tasks', {
        accountId: account.id,
        url: server.url('notes.mp4'),
        options: { width: 360 },
      });
      expect(created.status).toBe(202);
      const task = (await created.json()) as { id: string };
      const page = await eventually(
        'the owner is told the task failed',
        async () => {
          const p = (await (await api.call('/api/v1/notifications')).json()) as Page;
          return p.items.some((n) => n.subjectId === task.id) ? p : undefined;
        },
        60_000,
      );
      expect(page.items.find((n) => n.subjectId === task.id)).toMatchObject({
        kind: 'task.failed',
        accountId: account.id,
        readAt: null,
      });
      expect(((await (await other.call('/api/v1/notifications')).json()) as Page).items).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('keeps e-mail preferences per principal: defaults, partial updates, validation', async () => {
    const me = apiClient(stack.gatewayUrl, await stack.bearer('prefs-owner'));
    const other = apiClient(stack.gatewayUrl, await stack.bearer('prefs-other'));
    const get = async (client: ReturnType<typeof apiClient>) =>
      (await client.call('/api/v1/notification-preferences')).json();
    const put = (client: ReturnType<typeof apiClient>, body: unknown) =>
      client.call('/api/v1/notification-preferences', { method: 'PUT', body: JSON.stringify(body) });

    expect(await get(me)).toEqual({ email: null, emailOptOut: false, completionEmail: false, digest: false });
    const set = await put(me, { email: 'owner@example.com', completionEmail: true });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      email: 'owner@example.com',
      emailOptOut: false,
      completionEmail: true,
      digest: false,
    });
    // A later PUT changes only what it names.
    expect(await (await put(me, { digest: true })).json()).toEqual({
      email: 'owner@example.com',
      emailOptOut: false,
      completionEmail: true,
      digest: true,
    });
    expect(await (await put(me, { emailOptOut: true, email: null })).json()).toEqual({
      email: null,
      emailOptOut: true,
      completionEmail: true,
      digest: true,
    });
    expect(await get(other)).toEqual({ email: null, emailOptOut: false, completionEmail: false, digest: false });

    expect((await put(me, { email: 'not an address' })).status).toBe(400);
    expect((await put(me, { digest: 'daily' })).status).toBe(400);
    expect((await put(me, { surprise: true })).status).toBe(400);
    expect((await put(me, {})).status).toBe(400);
  });
});
