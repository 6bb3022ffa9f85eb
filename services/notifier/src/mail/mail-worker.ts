import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { startPoller } from '../delivery/poller.ts';
import { CLAIM_LEASE_MS, backoffMs, type RetryPolicy } from '../delivery/retry-policy.ts';
import { MailDeliveryError, type Mailer } from './mailer.ts';

interface Claimed {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: number;
}

export interface MailWorkerDeps {
  fork: () => EntityManager;
  schema: string;
  mailer: Mailer;
  from: string;
  clock: () => Date;
  policy: RetryPolicy;
  pollMs: number;
  log: Logger;
}

/** Claims one due mail (a short transaction: no row lock is held while talking to the SMTP server). */
async function claimDue(deps: MailWorkerDeps): Promise<Claimed | undefined> {
  const now = deps.clock();
  const [row] = await deps.fork().execute<Claimed[]>(
    `update "${deps.schema}".mail_deliveries set attempts = attempts + 1, next_attempt_at = ?
     where id = (select id from "${deps.schema}".mail_deliveries where status = 'pending' and next_attempt_at <= ? order by next_attempt_at limit 1 for update skip locked)
     returning id, to_address, subject, text_body, html_body, attempts`,
    [new Date(now.getTime() + CLAIM_LEASE_MS), now],
  );
  return row;
}

/** Records one attempt's outcome and what happens next (sent, retry later, or failed for good). */
async function settle(
  deps: MailWorkerDeps,
  mail: Claimed,
  startedAt: Date,
  err: MailDeliveryError | undefined,
): Promise<void> {
  const now = deps.clock();
  const s = `"${deps.schema}"`;
  const giveUp = err !== undefined && (err.permanent || mail.attempts >= deps.policy.maxAttempts);
  const outcome = err === undefined ? 'sent' : giveUp ? 'failed' : 'retry';
  await deps.fork().transactional(async (tx) => {
    await tx.execute(
      `insert into ${s}.mail_delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome, error) values (?, ?, ?, ?, ?, ?)`,
      [mail.id, mail.attempts, startedAt, now, outcome, err?.message ?? null],
    );
    if (outcome === 'retry') {
      await tx.execute(`update ${s}.mail_deliveries set next_attempt_at = ?, last_error = ? where id = ?`, [
        new Date(now.getTime() + backoffMs(deps.policy, mail.attempts)),
        err!.message,
        mail.id,
      ]);
    } else {
      await tx.execute(`update ${s}.mail_deliveries set status = ?, last_error = ?, finished_at = ? where id = ?`, [
        outcome,
        err?.message ?? null,
        now,
        mail.id,
      ]);
    }
  });
  if (outcome === 'failed')
    deps.log.warn(
      { deliveryId: mail.id, attempts: mail.attempts, reason: err?.message },
      'mail not delivered; given up',
    );
}

/** Sends every due mail, one at a time; returns how many attempts it made. */
async function sendDueMails(deps: MailWorkerDeps): Promise<number> {
  let attempts = 0;
  for (let mail = await claimDue(deps); mail; mail = await claimDue(deps)) {
    const startedAt = deps.clock();
    attempts++;
    try {
      await deps.mailer.send({
        id: mail.id,
        from: deps.from,
        to: mail.to_address,
        subject: mail.subject,
        text: mail.text_body,
        html: mail.html_body,
      });
      await settle(deps, mail, startedAt, undefined);
    } catch (err) {
      await settle(
        deps,
        mail,
        startedAt,
        err instanceof MailDeliveryError ? err : new MailDeliveryError(String(err), false, { cause: err }),
      );
    }
  }
  return attempts;
}

export interface MailWorker {
  /** Look for due mails now (after a commit that queued one). */
  kick(): void;
  stop(): Promise<void>;
}

/** Polls for due mails every `pollMs` and on each kick. */
export function startMailWorker(deps: MailWorkerDeps): MailWorker {
  const poller = startPoller('mail', () => sendDueMails(deps), deps.pollMs, deps.log);
  return {
    kick: () => poller.kick(),
    stop: async () => {
      await poller.stop();
      deps.mailer.close();
    },
  };
}
