import type { MigrationObject } from '@mikro-orm/core';
import { OutboxLeaseMigration, OutboxLeaseOwnerMigration } from '@reelforge/persistence';
import { M0001Initial } from './m0001-initial.ts';
import { M0002Recipes } from './m0002-recipes.ts';
import { M0003Backlog } from './m0003-backlog.ts';

/** Append-only, in order. The name is what the migrations table records. */
export const migrations: MigrationObject[] = [
  { name: 'm0001-initial', class: M0001Initial },
  { name: 'm0002-recipes', class: M0002Recipes },
  { name: 'm0003-backlog', class: M0003Backlog },
  { name: 'm0004-outbox-lease', class: OutboxLeaseMigration },
  { name: 'm0005-outbox-lease-owner', class: OutboxLeaseOwnerMigration },
];
