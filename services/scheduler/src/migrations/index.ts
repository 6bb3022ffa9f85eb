import type { MigrationObject } from '@mikro-orm/core';
import { OutboxLeaseMigration, OutboxLeaseOwnerMigration } from '@reelforge/persistence';
import { M0001Initial } from './m0001-initial.ts';
import { M0002RunLeases } from './m0002-run-leases.ts';

/** Append-only, in order. The name is what the migrations table records. */
export const migrations: MigrationObject[] = [
  { name: 'm0001-initial', class: M0001Initial },
  { name: 'm0002-run-leases', class: M0002RunLeases },
  { name: 'm0003-outbox-lease', class: OutboxLeaseMigration },
  { name: 'm0004-outbox-lease-owner', class: OutboxLeaseOwnerMigration },
];
