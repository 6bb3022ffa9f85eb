import { Migration } from '@mikro-orm/migrations';

/** Uploaded source videos: the file is in the media store; the row says whose it is and what it is. */
export class M0002Uploads extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table uploads (
      id uuid primary key,
      principal_id text not null,
      media_key text not null,
      size_bytes bigint not null,
      duration_seconds double precision not null,
      width int not null,
      height int not null,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index uploads_principal_idx on uploads (principal_id, id desc)`);
  }
}
