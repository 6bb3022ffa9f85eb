import { Migration } from '@mikro-orm/migrations';

/** Per-principal e-mail preferences; a principal without a row has the defaults (no mail). */
export class M0003Preferences extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table notification_preferences (
      owner_id text primary key,
      email text null,
      email_opt_out boolean not null default false,
      completion_email boolean not null default false,
      digest boolean not null default false,
      last_digest_check_at timestamptz null,
      updated_at timestamptz not null default now()
    )`);
  }
}
