import { Migration } from '@mikro-orm/migrations';

/** Article videos beside clips: a task's kind and script, and what each video was made from. */
export class M0007ArticleVideos extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table tasks add column kind text not null default 'clips' check (kind in ('clips', 'article'))`);
    this.addSql(`alter table tasks add column script jsonb null`);
    this.addSql(
      `alter table generated_content add column kind text not null default 'clip' check (kind in ('clip', 'article'))`,
    );
    this.addSql(`alter table generated_content add column source_url text null`);
    this.addSql(`alter table generated_content add column script jsonb null`);
  }
}
