import { Migration } from '@mikro-orm/migrations';

/** Uploads are videos (sources) or still images (logos); an image has no duration. Earlier rows are all videos. */
export class M0003UploadKind extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table uploads add column kind text not null default 'video' check (kind in ('video', 'image'))`);
    this.addSql(`alter table uploads alter column duration_seconds drop not null`);
  }
}
