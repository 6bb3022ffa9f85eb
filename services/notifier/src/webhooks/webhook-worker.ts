import type { EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { startPoller, type Poller } from '../delivery/poller.ts';
import { CLAIM_LEASE_MS, backoffMs, type RetryPolicy } from '../delivery/retry-policy.ts';
import { postWebhook, type PostOutcome } from './post-webhook.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export interface WebhookWorkerDeps {
  fork: () => EntityManager;
  schema: string;
  clock: () => Date;
  /** `maxAttempts` is stamped on each delivery when queued; a redelivery allows one more. */
  policy: Omit<RetryPolicy, 'maxAttempts'>;
  /** Consecutive failed attempts (across deliveries) after which a webhook is switched off. */
  disableAfter: number;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Deliveries in flight at once, so one slow endpoint does not hold up the others. */
  concurrency: number;
  pollMs: number;
  log: Logger;
}

interface Claimed {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  url: string;
  secret: string;
}

/** Claims one due delivery of an enabled webhook (short transaction: no lock is held during the POST). */
async function claimDue(deps: WebhookWorkerDeps): Promise<Claimed | undefined> {
  const s = `"${deps.schema}"`;
  const now = deps.clock();
  const [row] = await deps.fork().execute<Claimed[]>(
    `with due as (
       select d.id from ${s}.webhook_deliveries d join ${s}.webhooks w on w.id = d.webhook_id
       where d.status = 'pending' and d.next_attempt_at <= ? and w.enabled
       order by d.next_attempt_at limit 1 for update of d skip locked
     )
     update ${s}.webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = ?
     from due, ${s}.webhooks w where d.id = due.id and w.id = d.webhook_id
     returning d.id, d.webhook_id, d.event_id, d.event_type, d.payload, d.attempts, d.max_attempts, w.url, w.secret`,
    [now, new Date(now.getTime() + CLAIM_LEASE_MS)],
  );
  return row;
}

/** Records the attempt, schedules what comes next, and keeps the webhook's failure run (switching it off at the limit). */
async function settle(deps: WebhookWorkerDeps, d: Claimed, startedAt: Date, result: PostOutcome): Promise<void> {
  const s = `"${deps.schema}"`;
  const now = deps.clock();
  const ok = result.error === null;
  const outcome = ok ? 'delivered' : d.attempts >= d.max_attempts ? 'failed' : 'retry';
  await deps.fork().transactional(async (tx) => {
    await tx.execute(
      `insert into ${s}.webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, response_status, outcome, error) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (delivery_id, attempt) do nothing`,
      [
        d.id,
        d.attempts,
        startedAt,
        Math.max(0, now.getTime() - startedAt.getTime()),
        result.status,
        outcome,
        result.error,
      ],
    );
    if (outcome === 'retry') {
      await tx.execute(`update ${s}.webhook_deliveries set next_attempt_at = ?, last_error = ? where id = ?`, [
        new Date(now.getTime() + backoffMs(deps.policy, d.attempts)),
        result.error,
        d.id,
      ]);
    } else {
      await tx.execute(`update ${s}.webhook_deliveries set status = ?, last_error = ?, finished_at = ? where id = ?`, [
        outcome,
        result.error,
        now,
        d.id,
      ]);
    }
    if (ok) {
      await tx.execute(`update ${s}.webhooks set consecutive_failures = 0 where id = ?`, [d.webhook_id]);
      return;
    }
    const [hook] = await tx.execute<{ consecutive_failures: number; enabled: boolean }[]>(
      `update ${s}.webhooks set consecutive_failures = consecutive_failures + 1,
         enabled = enabled and consecutive_failures + 1 < ?,
         disabled_reason = case when enabled and consecutive_failures + 1 >= ? then ? else disabled_reason end,
         updated_at = ?
       where id = ? returning consecutive_failures, enabled`,
      [
        deps.disableAfter,
        deps.disableAfter,
        `switched off after ${deps.disableAfter} failed deliveries in a row; the last: ${result.error}`,
        now,
        d.webhook_id,
      ],
    );
    if (hook && !hook.enabled && hook.consecutive_failures === deps.disableAfter)
      deps.log.warn({ webhookId: d.webhook_id, reason: result.error }, 'webhook switched off after a run of failures');
  });
}

async function deliverOne(deps: WebhookWorkerDeps, d: Claimed): Promise<void> {
  const startedAt = deps.clock();
  const headers = {
    [SIGNATURE_HEADER]: signatureHeader(d.secret, d.payload, startedAt),
    'reelforge-event-id': d.event_id,
    'reelforge-event-type': d.event_type,
    'reelforge-delivery-id': d.id,
    'reelforge-delivery-attempt': String(d.attempts),
  };
  const result = await postWebhook(d.url, d.payload, headers, {
    timeoutMs: deps.timeoutMs,
    allowPrivate: deps.allowPrivate,
  });
  await settle(deps, d, startedAt, result);
}

/** Sends every due delivery, `concurrency` at a time; returns how many attempts it made. */
async function sendDueWebhooks(deps: WebhookWorkerDeps): Promise<number> {
  let attempts = 0;
  const lane = async () => {
    for (let d = await claimDue(deps); d; d = await claimDue(deps)) {
      attempts++;
      await deliverOne(deps, d);
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency }, lane));
  return attempts;
}

/** Polls for due deliveries every `pollMs` and on each kick (after a fact queued some). */
export const startWebhookWorker = (deps: WebhookWorkerDeps): Poller =>
  startPoller('webhook', () => sendDueWebhooks(deps), deps.pollMs, deps.log);
