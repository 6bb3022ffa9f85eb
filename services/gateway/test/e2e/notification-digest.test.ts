import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { notifierCommands } from '@reelforge/contracts';
import { sendCommand } from '@reelforge/messaging';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { newTenant } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';

const HOUR = 3_600_000;

// The digest the scheduler's hourly job asks for, on the notifier's injected clock: a principal is
// mailed only when ≥ 12 h passed since its last digest AND it has unread notifications.
describe('notification digest', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  const base = Date.now();
  let offset = 0;
  const at = (hours: number) => {
    offset = hours * HOUR;
  };

  beforeAll(async () => {
    stack = await startStack({
      withNotifier: true,
      notifierClock: () => new Date(base + offset),
      env: { MAIL_POLL_INTERVAL: '100ms' },
    });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    files = await serveFiles({ 'source.mp4': video });
  });
  afterAll(async () => {
    await files?.close();
    await stack?.stop();
  });

  const mailDir = () => join(stack.mediaRoot, 'mail');
  const mails = async (): Promise<ParsedMail[]> => {
    let names: string[];
    try {
      names = readdirSync(mailDir()).sort();
    } catch {
      return [];
    }
    return Promise.all(names.map((n) => simpleParser(readFileSync(join(mailDir(), n)))));
  };
  const digest = () =>
    sendCommand(
      stack.notifier!.platform.messaging,
      notifierCommands.sendDigests,
      {},
      { timeoutMs: 10_000, owner: 'notifier' },
    );
  const queued = async () =>
    (
      await stack.sql<{ n: string }>(
        'notifier',
        `select count(*) as n from $schema.mail_deliveries where kind = 'digest'`,
      )
    )[0]!.n;

  it('mails the count (no content) only after 12 h and only with unread notifications, then stamps the check', async () => {
    const subscriber = await newTenant(stack, 'digest-on', [files.url('source.mp4')]);
    const unsubscribed = await newTenant(stack, 'digest-off', [files.url('source.mp4')]);
    const put = (t: typeof subscriber, body: unknown) =>
      t.api.call('/api/v1/notification-preferences', { method: 'PUT', body: JSON.stringify(body) });
    expect((await put(subscriber, { email: 'on@example.com', digest: true })).status).toBe(200);
    expect((await put(unsubscribed, { email: 'off@example.com', digest: false })).status).toBe(200);

    let generationId = '';
    for (const t of [subscriber, unsubscribed]) {
      const start = await t.api.startGeneration(t.account.id, {
        type: 'shorts',
        count: 1,
        options: { width: 360, preset: 'ultrafast' },
      });
      expect(start.status).toBe(202);
      if (t === subscriber) generationId = ((await start.json()) as StartedGeneration).generation.id;
    }
    for (const t of [subscriber, unsubscribed]) {
      await eventually(
        'notified',
        async () => {
          const page = (await (await t.api.call('/api/v1/notifications')).json()) as { unread: number };
          return page.unread === 1 ? true : undefined;
        },
        60_000,
      );
    }

    // ≥ 12 h since the last check (never checked) and unread: mailed, with the count only.
    at(0);
    expect(await digest()).toEqual({ sent: 1 });
    const [mail] = await eventually('the digest mail', async () =>
      (await mails()).length === 1 ? mails() : undefined,
    );
    expect(mail!.subject).toBe('Reelforge: 1 unread notification');
    expect(JSON.stringify(mail!.to)).toContain('on@example.com');
    expect(mail!.text).toContain('You have 1 unread notification');
    expect(mail!.text).not.toContain(generationId);
    expect(mail!.html).not.toContain(generationId);
    const [stamp] = await stack.sql<{ last_digest_check_at: Date }>(
      'notifier',
      'select last_digest_check_at from $schema.notification_preferences where owner_id = ?',
      ['digest-on'],
    );
    expect(new Date(stamp!.last_digest_check_at).getTime()).toBe(base);

    // < 12 h since, still unread: nothing.
    at(11);
    expect(await digest()).toEqual({ sent: 0 });

    // < 12 h since, nothing unread: nothing.
    expect((await subscriber.api.post('/api/v1/notifications/read', { all: true })).status).toBe(200);
    expect(await digest()).toEqual({ sent: 0 });

    // ≥ 12 h since, nothing unread: nothing, and the check time stays.
    at(13);
    expect(await digest()).toEqual({ sent: 0 });
    expect(await queued()).toBe('1');
    const [still] = await stack.sql<{ last_digest_check_at: Date }>(
      'notifier',
      'select last_digest_check_at from $schema.notification_preferences where owner_id = ?',
      ['digest-on'],
    );
    expect(new Date(still!.last_digest_check_at).getTime()).toBe(base);
    // The principal with the digest off was never mailed, unread or not.
    expect(
      await stack.sql('notifier', `select 1 from $schema.mail_deliveries where owner_id = 'digest-off'`),
    ).toHaveLength(0);
    expect(await mails()).toHaveLength(1);

    // A new unread notification, ≥ 12 h after the last digest: mailed again, and stamped then.
    await subscriber.api.addSource(subscriber.account.id, `${files.url('source.mp4')}?again`);
    const again = await subscriber.api.startGeneration(subscriber.account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(again.status).toBe(202);
    await eventually(
      'notified again',
      async () => {
        const page = (await (await subscriber.api.call('/api/v1/notifications')).json()) as { unread: number };
        return page.unread === 1 ? true : undefined;
      },
      60_000,
    );
    expect(await digest()).toEqual({ sent: 1 });
    await eventually('the second digest mail', async () => ((await mails()).length === 2 ? true : undefined));
    const [restamped] = await stack.sql<{ last_digest_check_at: Date }>(
      'notifier',
      'select last_digest_check_at from $schema.notification_preferences where owner_id = ?',
      ['digest-on'],
    );
    expect(new Date(restamped!.last_digest_check_at).getTime()).toBe(base + 13 * HOUR);
    // …and 11 h after that one, still unread: nothing.
    at(24);
    expect(await digest()).toEqual({ sent: 0 });
  });
});
