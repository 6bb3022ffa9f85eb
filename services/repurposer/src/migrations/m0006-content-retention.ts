import { Migration } from '@mikro-orm/migrations';

/** When a clip may be deleted (its account's retention at the time it was made); null = kept. */
export class M0006ContentRetention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table generated_content add column expires_at timestamptz null`);
    this.addSql(
      `create index generated_content_expiry_idx on generated_content (expires_at) where expires_at is not null`,
    );
  }
}
