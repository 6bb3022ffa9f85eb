import type { MigrationObject } from '@mikro-orm/core';
import { OutboxLeaseMigration, OutboxLeaseOwnerMigration } from '@reelforge/persistence';
import { M0001Initial } from './m0001-initial.ts';
import { M0002CancelAndRetry } from './m0002-cancel-and-retry.ts';
import { M0003SourceCaptions } from './m0003-source-captions.ts';
import { M0004IdempotencyKey } from './m0004-idempotency-key.ts';
import { M0005MediaRetention } from './m0005-media-retention.ts';
import { M0006AutoGenerateSettings } from './m0006-auto-generate-settings.ts';
import { M0007SourceKind } from './m0007-source-kind.ts';
import { M0008Credits } from './m0008-credits.ts';
import { M0009Backlog } from './m0009-backlog.ts';

/** Append-only, in order. The name is what the migrations table records. */
export const migrations: MigrationObject[] = [
  { name: 'm0001-initial', class: M0001Initial },
  { name: 'm0002-cancel-and-retry', class: M0002CancelAndRetry },
  { name: 'm0003-source-captions', class: M0003SourceCaptions },
  { name: 'm0004-idempotency-key', class: M0004IdempotencyKey },
  { name: 'm0005-media-retention', class: M0005MediaRetention },
  { name: 'm0006-auto-generate-settings', class: M0006AutoGenerateSettings },
  { name: 'm0007-source-kind', class: M0007SourceKind },
  { name: 'm0008-credits', class: M0008Credits },
  { name: 'm0009-backlog', class: M0009Backlog },
  { name: 'm0010-outbox-lease', class: OutboxLeaseMigration },
  { name: 'm0011-outbox-lease-owner', class: OutboxLeaseOwnerMigration },
];
