import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency records in progress hold a lease: after `locked_until` (the gateway that took the key
 * crashed or lost its request) a retry takes the key over instead of answering 409 for 24 h;
 * `locked_by` (the request id) keeps the lost request from overwriting the new holder's answer.
 */
export class M0004IdempotencyLease extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table idempotency_records add column locked_until timestamptz null, add column locked_by text null`,
    );
  }
}
