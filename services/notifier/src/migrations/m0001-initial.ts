import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_INBOX_SQL } from '@reelforge/persistence';

/** The schema and its outbox/inbox; preferences, deliveries and webhooks arrive with the notifier issue. */
export class M0001Initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of OUTBOX_INBOX_SQL) this.addSql(sql);
  }
}
