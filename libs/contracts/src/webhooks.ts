import { Type, type Static } from '@sinclair/typebox';
import { command, Page, Principal } from './commands.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

/**
 * What a webhook can subscribe to: the facts that also become in-app notifications. A filter entry
 * is one of these, a family (`generation.*`) or `*`.
 */
export const WEBHOOK_EVENT_TYPES = [
  'generation.completed',
  'generation.partially_failed',
  'generation.failed',
  'generation.cancelled',
  'task.failed',
  'backlog.item.claimed',
] as const;

const EventFilter = Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9._*-]+$' }), {
  minItems: 1,
  maxItems: 50,
});
/** http is accepted by the schema so a local receiver can be used in development; the notifier refuses it unless allowed. */
const HookUrl = Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://' });

export const WebhookView = Type.Object({
  id: Uuid,
  url: Type.String(),
  events: Type.Array(Type.String()),
  /** Only this account's events; null: every account of the owner. */
  accountId: Type.Union([Uuid, Type.Null()]),
  enabled: Type.Boolean(),
  /** Why it was switched off (a run of failed deliveries), until it is enabled again. */
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  consecutiveFailures: Type.Integer({ minimum: 0 }),
  createdAt: DateTime,
});
export type WebhookView = Static<typeof WebhookView>;

export const CreateWebhookBody = Type.Object(
  { url: HookUrl, events: EventFilter, accountId: Type.Optional(Uuid) },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

/** Enabling a disabled webhook clears its failure run; its waiting deliveries then go out. */
export const UpdateWebhookBody = Type.Object(
  { url: Type.Optional(HookUrl), events: Type.Optional(EventFilter), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookBody>;

const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
const WebhookAttemptView = Type.Object({
  attempt: Type.Integer(),
  startedAt: DateTime,
  durationMs: Type.Integer(),
  /** The receiver's HTTP status; null when it never answered (refused, timed out, blocked). */
  responseStatus: Type.Union([Type.Integer(), Type.Null()]),
  outcome: Type.Union([Type.Literal('delivered'), Type.Literal('retry'), Type.Literal('failed')]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export const WebhookDeliveryView = Type.Object({
  id: Uuid,
  webhookId: Uuid,
  eventId: Uuid,
  eventType: Type.String(),
  status: Type.Union(WEBHOOK_DELIVERY_STATUSES.map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([DateTime, Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  attemptLog: Type.Array(WebhookAttemptView),
});
export type WebhookDeliveryView = Static<typeof WebhookDeliveryView>;
export const WebhookDeliveryPage = Type.Object({
  items: Type.Array(WebhookDeliveryView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

const Ids = { principal: Principal, webhookId: Uuid };
export const webhookCommands = {
  /** The answer carries the signing secret, once. */
  create: command(
    'cmd.notifier.webhooks.create',
    Type.Object({ principal: Principal, body: CreateWebhookBody }),
    Type.Object({ ...WebhookView.properties, secret: Type.String() }),
  ),
  list: command(
    'cmd.notifier.webhooks.list',
    Type.Object({ principal: Principal }),
    Type.Object({ items: Type.Array(WebhookView) }),
  ),
  get: command('cmd.notifier.webhooks.get', Type.Object(Ids), WebhookView),
  update: command('cmd.notifier.webhooks.update', Type.Object({ ...Ids, body: UpdateWebhookBody }), WebhookView),
  delete: command('cmd.notifier.webhooks.delete', Type.Object(Ids), Type.Object({ deleted: Type.Boolean() })),
  deliveries: command('cmd.notifier.webhooks.deliveries', Type.Object({ ...Ids, ...Page }), WebhookDeliveryPage),
  /** Sends a finished delivery (delivered or given up) once more: one attempt, now. */
  redeliver: command('cmd.notifier.webhooks.redeliver', Type.Object({ ...Ids, deliveryId: Uuid }), WebhookDeliveryView),
} as const;
