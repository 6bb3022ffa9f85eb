import { Migration } from '@mikro-orm/migrations';

/** What auto-generation starts for an account; null = the scheduler's AUTO_GENERATE_TYPE / AUTO_GENERATE_COUNT. */
export class M0006AutoGenerateSettings extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table accounts add column auto_generate_type text null check (auto_generate_type ~ '^[a-z0-9][a-z0-9_-]{0,63}$')`,
    );
    this.addSql(
      `alter table accounts add column auto_generate_count int null check (auto_generate_count between 1 and 100)`,
    );
  }
}
