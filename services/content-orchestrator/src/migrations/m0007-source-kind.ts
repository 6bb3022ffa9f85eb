import { Migration } from '@mikro-orm/migrations';

/** A source is a video (cut into clips) or an article (narrated by an `article` generation). */
export class M0007SourceKind extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table source_videos add column kind text not null default 'video' check (kind in ('video', 'article'))`,
    );
  }
}
