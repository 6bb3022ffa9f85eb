import type { MigrationObject } from '@mikro-orm/core';
import { M0001Initial } from './m0001-initial.ts';
import { M0002Uploads } from './m0002-uploads.ts';
import { M0003UploadKind } from './m0003-upload-kind.ts';
import { M0004IdempotencyLease } from './m0004-idempotency-lease.ts';

/** Append-only, in order. The name is what the migrations table records. */
export const migrations: MigrationObject[] = [
  { name: 'm0001-initial', class: M0001Initial },
  { name: 'm0002-uploads', class: M0002Uploads },
  { name: 'm0003-upload-kind', class: M0003UploadKind },
  { name: 'm0004-idempotency-lease', class: M0004IdempotencyLease },
];
