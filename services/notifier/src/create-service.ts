import { notifierCommands, webhookCommands } from '@reelforge/contracts';
import { serveCommand } from '@reelforge/messaging';
import type { Platform } from '@reelforge/service-kit';
import type { NotifierConfig } from './config.ts';
import { sendDigests } from './digest/send-digests.ts';
import { fileMailer, smtpMailer } from './mail/mailer.ts';
import { startMailWorker } from './mail/mail-worker.ts';
import { queueCompletionMail } from './mail/queue-completion-mail.ts';
import { startNotificationConsumers } from './notifications/consumers.ts';
import { createNotificationCommands } from './notifications/notification-commands.ts';
import { createPreferenceCommands } from './preferences/preference-commands.ts';
import { queueWebhookDeliveries } from './webhooks/queue-webhook-deliveries.ts';
import { createWebhookCommands } from './webhooks/webhook-commands.ts';
import { startWebhookWorker } from './webhooks/webhook-worker.ts';

export const SERVICE = 'notifier';

/** What the notifier takes from outside besides its platform (tests inject a clock). */
export interface NotifierDeps {
  clock: () => Date;
}

/** Wires the notifier onto a started platform: mail and webhook workers, commands, consumers, each registered for shutdown. */
export async function createNotifier(platform: Platform, config: NotifierConfig, deps: NotifierDeps): Promise<void> {
  const { messaging: m, orm, schema, log, tracer } = platform;
  const fork = () => orm.em.fork();
  const { clock } = deps;

  // Without an SMTP server (local use) mails land as .eml files a user can open.
  const mailer = config.SMTP_URL ? smtpMailer(config.SMTP_URL) : fileMailer(config.MAIL_DIR);
  const mail = startMailWorker({
    fork,
    schema,
    mailer,
    from: config.MAIL_FROM,
    clock,
    policy: {
      initialDelayMs: config.MAIL_RETRY_INITIAL,
      maxDelayMs: config.MAIL_RETRY_MAX,
      maxAttempts: config.MAIL_MAX_ATTEMPTS,
    },
    pollMs: config.MAIL_POLL_INTERVAL,
    log,
  });
  platform.shutdown.add('mail-worker', () => mail.stop());
  const webhookWorker = startWebhookWorker({
    fork,
    schema,
    clock,
    policy: { initialDelayMs: config.WEBHOOK_RETRY_INITIAL, maxDelayMs: config.WEBHOOK_RETRY_MAX },
    disableAfter: config.WEBHOOK_DISABLE_AFTER,
    timeoutMs: config.WEBHOOK_TIMEOUT,
    allowPrivate: config.WEBHOOK_URL_ALLOW_PRIVATE,
    concurrency: config.WEBHOOK_CONCURRENCY,
    pollMs: config.WEBHOOK_POLL_INTERVAL,
    log,
  });
  platform.shutdown.add('webhook-worker', () => webhookWorker.stop());

  const notifications = createNotificationCommands({ fork, schema, clock });
  const preferences = createPreferenceCommands({ fork, schema, clock });
  const digest = async () => {
    const result = await sendDigests({ fork, schema, clock });
    if (result.sent > 0) mail.kick();
    return result;
  };
  const webhooks = createWebhookCommands({
    fork,
    schema,
    clock,
    allowPrivate: config.WEBHOOK_URL_ALLOW_PRIVATE,
    maxPerOwner: config.WEBHOOKS_PER_OWNER,
    kick: () => webhookWorker.kick(),
  });
  const c = notifierCommands;
  const w = webhookCommands;
  const subs = [
    serveCommand(m, c.listNotifications, notifications.list, { log, tracer }),
    serveCommand(m, c.markRead, notifications.markRead, { log, tracer }),
    serveCommand(m, c.getPreferences, preferences.get, { log, tracer }),
    serveCommand(m, c.putPreferences, preferences.put, { log, tracer }),
    serveCommand(m, c.sendDigests, digest, { log, tracer }),
    serveCommand(m, w.create, webhooks.create, { log, tracer }),
    serveCommand(m, w.list, webhooks.list, { log, tracer }),
    serveCommand(m, w.get, webhooks.get, { log, tracer }),
    serveCommand(m, w.update, webhooks.update, { log, tracer }),
    serveCommand(m, w.delete, webhooks.delete, { log, tracer }),
    serveCommand(m, w.deliveries, webhooks.deliveries, { log, tracer }),
    serveCommand(m, w.redeliver, webhooks.redeliver, { log, tracer }),
  ];
  platform.shutdown.add('commands', async () => {
    for (const sub of subs) await sub.drain();
  });

  const consumers = await startNotificationConsumers({
    m,
    fork,
    schema,
    clock,
    ackWaitMs: config.EVENT_ACK_WAIT,
    maxDeliveries: config.EVENT_MAX_DELIVERIES,
    replicas: config.NATS_STREAM_REPLICAS,
    log,
    tracer,
    alsoInTransaction: async (tx, draft) => {
      await queueCompletionMail(tx, schema, draft, clock());
      await queueWebhookDeliveries(tx, schema, draft, clock(), config.WEBHOOK_MAX_ATTEMPTS);
    },
    afterCommit: () => {
      mail.kick();
      webhookWorker.kick();
    },
  });
  platform.shutdown.add('consumers', async () => {
    for (const consumer of consumers) await consumer.stop();
  });
}
