import type { GatewayApp } from '../http/gateway-app.ts';
import {
  MarkReadBody,
  NotificationPage,
  NotificationPreferences,
  NotificationPreferencesBody,
  notifierCommands,
} from '@reelforge/contracts';
import { Type } from '@sinclair/typebox';
import type { Forward } from '../http/forward.ts';
import { PageQuery, errorResponses } from '../http/schemas.ts';

/** Notifications and their preferences: owned by the notifier. */
export function registerNotificationRoutes(app: GatewayApp, forward: Forward): void {
  app.get(
    '/api/v1/notifications',
    { schema: { querystring: PageQuery, response: { 200: NotificationPage, ...errorResponses } } },
    async (req) => {
      const q = req.query;
      return forward(notifierCommands.listNotifications, {
        principal: req.principal,
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );
  app.post(
    '/api/v1/notifications/read',
    {
      schema: {
        body: MarkReadBody,
        response: { 200: Type.Object({ updated: Type.Integer(), unread: Type.Integer() }), ...errorResponses },
      },
    },
    async (req) => forward(notifierCommands.markRead, { principal: req.principal, body: req.body }),
  );
  app.get(
    '/api/v1/notification-preferences',
    { schema: { response: { 200: NotificationPreferences, ...errorResponses } } },
    async (req) => forward(notifierCommands.getPreferences, { principal: req.principal }),
  );
  app.put(
    '/api/v1/notification-preferences',
    { schema: { body: NotificationPreferencesBody, response: { 200: NotificationPreferences, ...errorResponses } } },
    async (req) =>
      forward(notifierCommands.putPreferences, {
        principal: req.principal,
        body: req.body,
      }),
  );
}
