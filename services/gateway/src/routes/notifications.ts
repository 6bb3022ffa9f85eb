import type { FastifyInstance } from 'fastify';
import { CreateWebhookBody, NotificationPreferences, WebhookView, notifierCommands } from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import type { Forward } from '../http/forward.ts';
import { IdParam, errorResponses } from '../http/schemas.ts';

/** Notification preferences and webhooks: owned by the notifier (503 naming it until it serves them). */
export function registerNotificationRoutes(app: FastifyInstance, forward: Forward): void {
  app.get('/api/v1/notification-preferences', { schema: { response: { 200: NotificationPreferences, ...errorResponses } } }, async (req) =>
    forward(notifierCommands.getPreferences, { principal: req.principal }),
  );
  app.put('/api/v1/notification-preferences', { schema: { body: NotificationPreferences, response: { 200: NotificationPreferences, ...errorResponses } } }, async (req) =>
    forward(notifierCommands.putPreferences, { principal: req.principal, body: req.body as typeof NotificationPreferences.static }),
  );
  app.post('/api/v1/webhooks', { schema: { body: CreateWebhookBody, response: { 201: Type.Object({ ...WebhookView.properties, secret: Type.String() }), ...errorResponses } } }, async (req, reply) =>
    reply.status(201).send(await forward(notifierCommands.createWebhook, { principal: req.principal, body: req.body as typeof CreateWebhookBody.static })),
  );
  app.get('/api/v1/webhooks', { schema: { response: { 200: Type.Object({ items: Type.Array(WebhookView) }), ...errorResponses } } }, async (req) =>
    forward(notifierCommands.listWebhooks, { principal: req.principal }),
  );
  app.delete('/api/v1/webhooks/:webhookId', { schema: { params: IdParam('webhookId'), response: { 200: Type.Object({ deleted: Type.Boolean() }), ...errorResponses } } }, async (req) =>
    forward(notifierCommands.deleteWebhook, { principal: req.principal, webhookId: (req.params as { webhookId: string }).webhookId }),
  );
}
