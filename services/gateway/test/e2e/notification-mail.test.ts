import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { freePort } from '@reelforge/local-infra';
import { eventually, makeTestVideo, serveFiles } from '@reelforge/testing';
import type { StartedGeneration } from '../support/api-client.ts';
import { newTenant } from '../support/tenant.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
}
interface Attempt {
  attempt: number;
  outcome: string;
  error: string | null;
}

// Completion e-mails over real SMTP: the server is down at first (refused connection → retried
// with backoff), then up; a permanent 5xx stops the retries with its reason.
describe('completion e-mail over SMTP', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let port: number;
  let sink: SmtpSink | undefined;

  beforeAll(async () => {
    port = await freePort();
    stack = await startStack({
      withNotifier: true,
      env: {
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        MAIL_FROM: 'Reelforge <mail@reelforge.test>',
        MAIL_RETRY_INITIAL: '200ms',
        MAIL_RETRY_MAX: '1s',
        MAIL_POLL_INTERVAL: '100ms',
      },
    });
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'source.mp4'), { seconds: 2 });
    files = await serveFiles({ 'source.mp4': video });
  });
  afterAll(async () => {
    await sink?.close();
    await files?.close();
    await stack?.stop();
  });

  const generate = async (subject: string, email: string) => {
    const { api, account } = await newTenant(stack, subject, [files.url('source.mp4')]);
    const prefs = await api.call('/api/v1/notification-preferences', {
      method: 'PUT',
      body: JSON.stringify({ email, completionEmail: true }),
    });
    expect(prefs.status).toBe(200);
    const start = await api.startGeneration(account.id, {
      type: 'shorts',
      count: 1,
      options: { width: 360, preset: 'ultrafast' },
    });
    expect(start.status).toBe(202);
    return { account, generation: ((await start.json()) as StartedGeneration).generation };
  };
  const deliveriesOf = (ownerId: string) =>
    stack.sql<Delivery>('notifier', 'select * from $schema.mail_deliveries where owner_id = ?', [ownerId]);
  const attemptsOf = (deliveryId: string) =>
    stack.sql<Attempt>(
      'notifier',
      'select attempt, outcome, error from $schema.mail_delivery_attempts where delivery_id = ? order by attempt',
      [deliveryId],
    );

  it('retries after a refused connection, then delivers text and HTML', async () => {
    const { account, generation } = await generate('mail-owner', 'owner@example.com');
    // The server is not up: the first attempt is refused and recorded as one to retry.
    const [delivery] = await eventually(
      'a refused first attempt',
      async () => {
        const rows = await deliveriesOf('mail-owner');
        if (rows.length === 0) return undefined;
        return (await attemptsOf(rows[0]!.id)).some((a) => a.outcome === 'retry') ? rows : undefined;
      },
      60_000,
    );
    sink = await startSmtpSink(port, ['reject@example.com']);

    const mail = await eventually('the mail arrives', async () => sink!.mails[0]);
    expect(mail.subject).toBe('Reelforge: your clips are ready');
    expect(mail.from?.text).toContain('mail@reelforge.test');
    expect(JSON.stringify(mail.to)).toContain('owner@example.com');
    expect(mail.text).toContain(generation.id);
    expect(mail.text).toContain('1 of 1 clips made');
    expect(mail.html).toContain('<h1>Your clips are ready</h1>');
    expect(mail.html).toContain(account.id);

    const [sent] = await eventually('recorded as sent', async () =>
      (await deliveriesOf('mail-owner'))[0]?.status === 'sent' ? deliveriesOf('mail-owner') : undefined,
    );
    expect(sent!.attempts).toBeGreaterThanOrEqual(2);
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.at(-1)).toMatchObject({ outcome: 'sent', error: null });
    expect(attempts.slice(0, -1).every((a) => a.outcome === 'retry' && a.error !== null)).toBe(true);
    expect(sink.mails).toHaveLength(1);
  });

  it('stops at a permanent SMTP error and records its reason', async () => {
    expect(sink).toBeDefined(); // started by the previous test
    await generate('mail-rejected', 'reject@example.com');
    const [failed] = await eventually(
      'given up',
      async () =>
        (await deliveriesOf('mail-rejected'))[0]?.status === 'failed' ? deliveriesOf('mail-rejected') : undefined,
      60_000,
    );
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed!.last_error).toContain('550');
    expect(await attemptsOf(failed!.id)).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed' })]);
  });
});
