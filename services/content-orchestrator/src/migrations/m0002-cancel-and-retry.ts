import { Migration } from '@mikro-orm/migrations';

/** Cancel requests on generations, and retry series on their tasks. */
export class M0002CancelAndRetry extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table generations add column cancel_requested_at timestamptz null`);
    this.addSql(`alter table generation_tasks add column series int not null default 0`);
  }
}
