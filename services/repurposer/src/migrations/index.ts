import type { MigrationObject } from '@mikro-orm/core';
import { OutboxLeaseMigration, OutboxLeaseOwnerMigration } from '@reelforge/persistence';
import { M0001Initial } from './m0001-initial.ts';
import { M0002CancelAndRetry } from './m0002-cancel-and-retry.ts';
import { M0003ClipDetails } from './m0003-clip-details.ts';
import { M0004TaskInputs } from './m0004-task-inputs.ts';
import { M0005OwnerScope } from './m0005-owner-scope.ts';
import { M0006ContentRetention } from './m0006-content-retention.ts';
import { M0007ArticleVideos } from './m0007-article-videos.ts';
import { M0010AccountUsage } from './m0010-account-usage.ts';

/** Append-only, in order. The name is what the migrations table records. */
export const migrations: MigrationObject[] = [
  { name: 'm0001-initial', class: M0001Initial },
  { name: 'm0002-cancel-and-retry', class: M0002CancelAndRetry },
  { name: 'm0003-clip-details', class: M0003ClipDetails },
  { name: 'm0004-task-inputs', class: M0004TaskInputs },
  { name: 'm0005-owner-scope', class: M0005OwnerScope },
  { name: 'm0006-content-retention', class: M0006ContentRetention },
  { name: 'm0007-article-videos', class: M0007ArticleVideos },
  { name: 'm0008-outbox-lease', class: OutboxLeaseMigration },
  { name: 'm0009-outbox-lease-owner', class: OutboxLeaseOwnerMigration },
  { name: 'm0010-account-usage', class: M0010AccountUsage },
];
