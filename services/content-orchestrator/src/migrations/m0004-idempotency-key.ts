import { Migration } from '@mikro-orm/migrations';

/**
 * A start's Idempotency-Key (from the gateway) and a hash of what it asked for: a retry with the
 * key returns the generation the first start made, even when the gateway never saw its answer.
 */
export class M0004IdempotencyKey extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table generations add column idempotency_key text null, add column request_hash text null`);
    this.addSql(
      `create unique index generations_idempotency_idx on generations (account_id, idempotency_key) where idempotency_key is not null`,
    );
  }
}
