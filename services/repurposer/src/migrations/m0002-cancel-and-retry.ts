import { Migration } from '@mikro-orm/migrations';

/** Cancel (a `cancelling` state and cancellations recorded before a job arrives) and manual retry series. */
export class M0002CancelAndRetry extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table tasks drop constraint tasks_status_check`);
    this.addSql(
      `alter table tasks add constraint tasks_status_check check (status in ('queued', 'processing', 'cancelling', 'completed', 'failed', 'cancelled'))`,
    );
    this.addSql(`alter table tasks add column series int not null default 0`);
    // A cancel can arrive before the task's job does; the job then closes as cancelled without running.
    this.addSql(`create table task_cancellations (
      task_id uuid primary key,
      reason text not null,
      requested_at timestamptz not null default now()
    )`);
  }
}
