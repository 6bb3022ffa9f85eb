import { Migration } from '@mikro-orm/migrations';

/** What a clip is made of (segment, score, reason, captions/title burned in) and its thumbnail. */
export class M0003ClipDetails extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table generated_content
      add column segment jsonb not null default '[]',
      add column score double precision,
      add column reason text not null default '',
      add column captioned boolean not null default false,
      add column title text,
      add column thumbnail_key text`);
  }
}
