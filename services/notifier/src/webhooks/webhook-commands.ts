import { sourceUrlProblem } from '@reelforge/net-policy';
import {
  DomainError,
  UUID_PATTERN,
  uuidv7,
  type CreateWebhookBody,
  type Principal,
  type UpdateWebhookBody,
  type WebhookDeliveryView,
  type WebhookView,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { validateEventFilter } from './event-filter.ts';
import { newWebhookSecret } from './signature.ts';

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  account_id: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: Date | string;
}
interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: WebhookDeliveryView['status'];
  attempts: number;
  next_attempt_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
}
interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date | string;
  duration_ms: number;
  response_status: number | null;
  outcome: 'delivered' | 'retry' | 'failed';
  error: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const UUID = new RegExp(UUID_PATTERN);
/** A Postgres text[] literal (the driver would spread a JS array); filter entries are [a-z0-9._*-] only. */
const textArray = (items: string[]) => `{${items.map((e) => `"${e}"`).join(',')}}`;
const COLUMNS = 'id, url, events, account_id, enabled, disabled_reason, consecutive_failures, created_at';

const toView = (r: WebhookRow): WebhookView => ({
  id: r.id,
  url: r.url,
  events: r.events,
  accountId: r.account_id,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  consecutiveFailures: r.consecutive_failures,
  createdAt: iso(r.created_at),
});
const toDeliveryView = (r: DeliveryRow, attempts: AttemptRow[]): WebhookDeliveryView => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
  lastError: r.last_error,
  createdAt: iso(r.created_at),
  attemptLog: attempts.map((a) => ({
    attempt: a.attempt,
    startedAt: iso(a.started_at),
    durationMs: a.duration_ms,
    responseStatus: a.response_status,
    outcome: a.outcome,
    error: a.error,
  })),
});

export interface WebhookCommandDeps {
  fork: () => EntityManager;
  schema: string;
  clock: () => Date;
  /** http and private or loopback targets (local development and tests only). */
  allowPrivate: boolean;
  maxPerOwner: number;
  /** Called after a redelivery is queued (kicks the worker). */
  kick: () => void;
}

/** The caller's webhooks: every query is scoped to the principal, another's id is simply not found. */
export function createWebhookCommands(deps: WebhookCommandDeps) {
  const s = `"${deps.schema}"`;
  const notFound = () => new DomainError('NOT_FOUND', 'no such webhook');

  async function checkUrl(url: string): Promise<void> {
    if (!deps.allowPrivate && !url.startsWith('https://'))
      throw new DomainError('VALIDATION_FAILED', 'a webhook URL must use https', { field: 'body/url' });
    const problem = await sourceUrlProblem(url, { allowPrivate: deps.allowPrivate });
    if (problem)
      throw new DomainError('VALIDATION_FAILED', `the webhook URL cannot be used: ${problem}`, { field: 'body/url' });
  }
  async function owned(em: EntityManager, principal: Principal, webhookId: string): Promise<WebhookRow> {
    const [row] = await em.execute<WebhookRow[]>(`select ${COLUMNS} from ${s}.webhooks where id = ? and owner_id = ?`, [
      webhookId,
      principal.id,
    ]);
    if (!row) throw notFound();
    return row;
  }
  async function attemptsOf(em: EntityManager, deliveryIds: string[]): Promise<Map<string, AttemptRow[]>> {
    const byDelivery = new Map<string, AttemptRow[]>();
    if (deliveryIds.length === 0) return byDelivery;
    // A Postgres array literal: the driver would spread a JS array into separate parameters.
    const rows = await em.execute<AttemptRow[]>(
      `select * from ${s}.webhook_delivery_attempts where delivery_id = any(?::uuid[]) order by attempt`,
      [`{${deliveryIds.join(',')}}`],
    );
    for (const a of rows) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
    return byDelivery;
  }

  return {
    create: async (req: {
      principal: Principal;
      body: CreateWebhookBody;
    }): Promise<WebhookView & { secret: string }> => {
      const events = validateEventFilter(req.body.events);
      await checkUrl(req.body.url);
      const now = deps.clock();
      const secret = newWebhookSecret();
      return deps.fork().transactional(async (tx) => {
        // Serialises one owner's creates, so two at once cannot both pass the limit.
        await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`webhooks:${req.principal.id}`]);
        const [count] = await tx.execute<{ n: string }[]>(
          `select count(*) as n from ${s}.webhooks where owner_id = ?`,
          [req.principal.id],
        );
        if (Number(count?.n ?? 0) >= deps.maxPerOwner)
          throw new DomainError('CONFLICT', `at most ${deps.maxPerOwner} webhooks per caller; delete one first`);
        const [row] = await tx.execute<WebhookRow[]>(
          `insert into ${s}.webhooks (id, owner_id, account_id, url, secret, events, created_at, updated_at) values (?, ?, ?, ?, ?, ?::text[], ?, ?) returning ${COLUMNS}`,
          [
            uuidv7(now.getTime()),
            req.principal.id,
            req.body.accountId ?? null,
            req.body.url,
            secret,
            textArray(events),
            now,
            now,
          ],
        );
        return { ...toView(row!), secret };
      });
    },
    list: async (req: { principal: Principal }): Promise<{ items: WebhookView[] }> => {
      const rows = await deps
        .fork()
        .execute<WebhookRow[]>(`select ${COLUMNS} from ${s}.webhooks where owner_id = ? order by id`, [
          req.principal.id,
        ]);
      return { items: rows.map(toView) };
    },
    get: async (req: { principal: Principal; webhookId: string }): Promise<WebhookView> =>
      toView(await owned(deps.fork(), req.principal, req.webhookId)),
    update: async (req: { principal: Principal; webhookId: string; body: UpdateWebhookBody }): Promise<WebhookView> => {
      const b = req.body;
      const events = b.events ? validateEventFilter(b.events) : null;
      if (b.url !== undefined) await checkUrl(b.url);
      // Enabling starts a fresh run: the failure count and the reason go.
      const [row] = await deps.fork().execute<WebhookRow[]>(
        `update ${s}.webhooks set
           url = coalesce(?, url),
           events = coalesce(?::text[], events),
           enabled = coalesce(?, enabled),
           consecutive_failures = case when ? then 0 else consecutive_failures end,
           disabled_reason = case when ? then null else disabled_reason end,
           updated_at = ?
         where id = ? and owner_id = ? returning ${COLUMNS}`,
        [
          b.url ?? null,
          events ? textArray(events) : null,
          b.enabled ?? null,
          b.enabled === true,
          b.enabled === true,
          deps.clock(),
          req.webhookId,
          req.principal.id,
        ],
      );
      if (!row) throw notFound();
      if (b.enabled) deps.kick();
      return toView(row);
    },
    delete: async (req: { principal: Principal; webhookId: string }): Promise<{ deleted: boolean }> => {
      const rows = await deps
        .fork()
        .execute<{ id: string }[]>(`delete from ${s}.webhooks where id = ? and owner_id = ? returning id`, [
          req.webhookId,
          req.principal.id,
        ]);
      if (rows.length === 0) throw notFound();
      return { deleted: true };
    },
    deliveries: async (req: { principal: Principal; webhookId: string; limit?: number; cursor?: string }) => {
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API gave', { field: 'querystring/cursor' });
      const em = deps.fork();
      await owned(em, req.principal, req.webhookId);
      const limit = req.limit ?? 20;
      const rows = await em.execute<DeliveryRow[]>(
        `select * from ${s}.webhook_deliveries where webhook_id = ? ${req.cursor ? 'and id < ?' : ''} order by id desc limit ?`,
        req.cursor ? [req.webhookId, req.cursor, limit + 1] : [req.webhookId, limit + 1],
      );
      const page = rows.slice(0, limit);
      const attempts = await attemptsOf(
        em,
        page.map((r) => r.id),
      );
      return {
        items: page.map((r) => toDeliveryView(r, attempts.get(r.id) ?? [])),
        nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
      };
    },
    redeliver: async (req: {
      principal: Principal;
      webhookId: string;
      deliveryId: string;
    }): Promise<WebhookDeliveryView> => {
      const em = deps.fork();
      const hook = await owned(em, req.principal, req.webhookId);
      if (!hook.enabled)
        throw new DomainError(
          'CONFLICT',
          `the webhook is switched off (${hook.disabled_reason ?? 'by its owner'}); enable it first`,
        );
      // One more attempt, now, for a delivery that has finished (delivered or given up); a pending one is still being retried.
      const [row] = await em.execute<DeliveryRow[]>(
        `update ${s}.webhook_deliveries set status = 'pending', max_attempts = attempts + 1, next_attempt_at = ?, finished_at = null
         where id = ? and webhook_id = ? and status <> 'pending' returning *`,
        [deps.clock(), req.deliveryId, req.webhookId],
      );
      if (!row) {
        const [pending] = await em.execute<{ next_attempt_at: Date | string }[]>(
          `select next_attempt_at from ${s}.webhook_deliveries where id = ? and webhook_id = ?`,
          [req.deliveryId, req.webhookId],
        );
        if (!pending) throw new DomainError('NOT_FOUND', 'no such delivery');
        throw new DomainError(
          'CONFLICT',
          `the delivery is still being retried (next attempt at ${iso(pending.next_attempt_at)}); redeliver it once it has finished`,
        );
      }
      deps.kick();
      return toDeliveryView(row, (await attemptsOf(em, [row.id])).get(row.id) ?? []);
    },
  };
}
