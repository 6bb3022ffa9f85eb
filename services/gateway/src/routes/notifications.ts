import type { FastifyInstance } from 'fastify';
import { CreateWebhookBody, MarkReadBody, NotificationPage, NotificationPreferences, NotificationPreferencesBody, WebhookView, notifierCommands, notifierPendingCommands } from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import type { Forward } from '../http/forward.ts';
import { IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

/** Notifications, their preferences and webhooks: owned by the notifier (webhooks answer 503 naming it until it serves them). */
export function registerNotificationRoutes(app: FastifyInstance, forward: Forward): void {
  app.get('/api/v1/notifications', { schema: { querystring: PageQuery, response: { 200: NotificationPage, ...errorResponses } } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string };
    return forward(notifierCommands.listNotifications, { principal: req.principal, ...(q.limit ? { limit: q.limit } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) });
  });
  app.post('/api/v1/notifications/read', { schema: { body: MarkReadBody, response: { 200: Type.Object({ updated: Type.Integer(), unread: Type.Integer() }), ...errorResponses } } }, async (req) =>
    forward(notifierCommands.markRead, { principal: req.principal, body: req.body as MarkReadBody }),
  );
  app.get('/api/v1/notification-preferences', { schema: { response: { 200: NotificationPreferences, ...errorResponses } } }, async (req) =>
    forward(notifierCommands.getPreferences, { principal: req.principal }),
  );
  app.put('/api/v1/notification-preferences', { schema: { body: NotificationPreferencesBody, response: { 200: NotificationPreferences, ...errorResponses } } }, async (req) =>
    forward(notifierCommands.putPreferences, { principal: req.principal, body: req.body as NotificationPreferencesBody }),
  );
  app.post('/api/v1/webhooks', { schema: { body: CreateWebhookBody, response: { 201: Type.Object({ ...WebhookView.properties, secret: Type.String() }), ...errorResponses } } }, async (req, reply) =>
    reply.status(201).send(await forward(notifierPendingCommands.createWebhook, { principal: req.principal, body: req.body as typeof CreateWebhookBody.static })),
  );
  app.get('/api/v1/webhooks', { schema: { response: { 200: Type.Object({ items: Type.Array(WebhookView) }), ...errorResponses } } }, async (req) =>
    forward(notifierPendingCommands.listWebhooks, { principal: req.principal }),
  );
  app.delete('/api/v1/webhooks/:webhookId', { schema: { params: IdParam('webhookId'), response: { 200: Type.Object({ deleted: Type.Boolean() }), ...errorResponses } } }, async (req) =>
    forward(notifierPendingCommands.deleteWebhook, { principal: req.principal, webhookId: (req.params as { webhookId: string }).webhookId }),
  );
}
