import { Migration } from '@mikro-orm/migrations';

/** Captions (SRT/WebVTT URL) supplied with a source video, passed on to its render jobs. */
export class M0003SourceCaptions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table source_videos add column captions_url text`);
  }
}
