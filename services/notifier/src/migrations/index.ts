import type { MigrationObject } from '@mikro-orm/core';
import { OutboxLeaseMigration, OutboxLeaseOwnerMigration } from '@reelforge/persistence';
import { M0001Initial } from './m0001-initial.ts';
import { M0002Notifications } from './m0002-notifications.ts';
import { M0003Preferences } from './m0003-preferences.ts';
import { M0004MailDeliveries } from './m0004-mail-deliveries.ts';
import { M0005Webhooks } from './m0005-webhooks.ts';

/** Append-only, in order. The name is what the migrations table records. */
export const migrations: MigrationObject[] = [
  { name: 'm0001-initial', class: M0001Initial },
  { name: 'm0002-notifications', class: M0002Notifications },
  { name: 'm0003-preferences', class: M0003Preferences },
  { name: 'm0004-mail-deliveries', class: M0004MailDeliveries },
  { name: 'm0005-webhooks', class: M0005Webhooks },
  { name: 'm0006-outbox-lease', class: OutboxLeaseMigration },
  { name: 'm0007-outbox-lease-owner', class: OutboxLeaseOwnerMigration },
];
