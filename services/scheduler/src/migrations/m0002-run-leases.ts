import { Migration } from '@mikro-orm/migrations';

/**
 * A run holds a lease (`locked_until`, renewed while it works): a run whose lease ran out died
 * (crash, kill), is marked `died` and may be retried in the same slot; `attempts` counts the tries.
 */
export class M0002RunLeases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table job_runs drop constraint if exists job_runs_status_check`);
    this.addSql(
      `alter table job_runs add constraint job_runs_status_check check (status in ('running', 'succeeded', 'failed', 'died'))`,
    );
    this.addSql(`alter table job_runs add column locked_until timestamptz null`);
    this.addSql(`alter table job_runs add column locked_by text null`);
    this.addSql(`alter table job_runs add column attempts int not null default 1`);
    this.addSql(`create index job_runs_started_idx on job_runs (started_at desc, id desc)`);
  }
}
