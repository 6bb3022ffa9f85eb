import { Migration } from '@mikro-orm/migrations';

/** Per-account clip retention in days (null = the repurposer's default, 0 = forever). */
export class M0005MediaRetention extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table accounts add column media_retention_days int null check (media_retention_days between 0 and 3650)`,
    );
  }
}
