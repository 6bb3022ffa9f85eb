import { Migration } from '@mikro-orm/migrations';

/**
 * The owner principal of each task and clip, so reads are scoped by the caller (`owner_id = ?`)
 * instead of by a list of account ids. Rows from before this are null (visible to nobody) until a
 * render job of their account arrives carrying its owner: the task store backfills the account's
 * rows then (accounts are never transferred, so one job tells the owner of all of them).
 */
export class M0005OwnerScope extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table tasks add column owner_id text`);
    this.addSql(`alter table generated_content add column owner_id text`);
    this.addSql(`create index tasks_owner_idx on tasks (owner_id, id desc)`);
    this.addSql(`create index generated_content_owner_idx on generated_content (owner_id, id desc)`);
    // Small and shrinking: only rows still waiting for their owner.
    this.addSql(`create index tasks_ownerless_idx on tasks (account_id) where owner_id is null`);
    this.addSql(
      `create index generated_content_ownerless_idx on generated_content (account_id) where owner_id is null`,
    );
  }
}
