import type { GatewayApp } from '../http/gateway-app.ts';
import {
  CreateWebhookBody,
  UpdateWebhookBody,
  WebhookDeliveryPage,
  WebhookDeliveryView,
  WebhookView,
  orchestratorCommands,
  webhookCommands,
} from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import type { Forward } from '../http/forward.ts';
import { IdParam, PageQuery, errorResponses } from '../http/schemas.ts';

const WebhookId = IdParam('webhookId');

/** Webhooks of the caller (owned by the notifier): create, list, change, delete, their deliveries and redelivery. */
export function registerWebhookRoutes(app: GatewayApp, forward: Forward): void {
  app.post(
    '/api/v1/webhooks',
    {
      schema: {
        body: CreateWebhookBody,
        response: { 201: Type.Object({ ...WebhookView.properties, secret: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      // A hook limited to one account: that account must be the caller's (another's is a 404, as everywhere).
      if (body.accountId)
        await forward(orchestratorCommands.getAccount, { principal: req.principal, accountId: body.accountId });
      return reply.status(201).send(await forward(webhookCommands.create, { principal: req.principal, body }));
    },
  );
  app.get(
    '/api/v1/webhooks',
    { schema: { response: { 200: Type.Object({ items: Type.Array(WebhookView) }), ...errorResponses } } },
    async (req) => forward(webhookCommands.list, { principal: req.principal }),
  );
  app.get(
    '/api/v1/webhooks/:webhookId',
    { schema: { params: WebhookId, response: { 200: WebhookView, ...errorResponses } } },
    async (req) => forward(webhookCommands.get, { principal: req.principal, webhookId: req.params.webhookId }),
  );
  app.patch(
    '/api/v1/webhooks/:webhookId',
    { schema: { params: WebhookId, body: UpdateWebhookBody, response: { 200: WebhookView, ...errorResponses } } },
    async (req) =>
      forward(webhookCommands.update, {
        principal: req.principal,
        webhookId: req.params.webhookId,
        body: req.body,
      }),
  );
  app.delete(
    '/api/v1/webhooks/:webhookId',
    { schema: { params: WebhookId, response: { 200: Type.Object({ deleted: Type.Boolean() }), ...errorResponses } } },
    async (req) => forward(webhookCommands.delete, { principal: req.principal, webhookId: req.params.webhookId }),
  );
  app.get(
    '/api/v1/webhooks/:webhookId/deliveries',
    {
      schema: { params: WebhookId, querystring: PageQuery, response: { 200: WebhookDeliveryPage, ...errorResponses } },
    },
    async (req) => {
      const q = req.query;
      return forward(webhookCommands.deliveries, {
        principal: req.principal,
        webhookId: req.params.webhookId,
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );
  app.post(
    '/api/v1/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
    {
      schema: {
        params: Type.Object(
          { ...WebhookId.properties, ...IdParam('deliveryId').properties },
          { additionalProperties: false },
        ),
        response: { 200: WebhookDeliveryView, ...errorResponses },
      },
    },
    async (req) => {
      const { webhookId, deliveryId } = req.params;
      return forward(webhookCommands.redeliver, { principal: req.principal, webhookId, deliveryId });
    },
  );
}
