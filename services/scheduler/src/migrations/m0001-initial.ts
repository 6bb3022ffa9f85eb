import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_INBOX_SQL } from '@reelforge/persistence';

/** Job runs: one row per job per slot (the unique key stops a slot firing twice). */
export class M0001Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table job_runs (
      id uuid primary key,
      job text not null,
      slot timestamptz not null,
      status text not null check (status in ('running', 'succeeded', 'failed')),
      started_at timestamptz not null default now(),
      finished_at timestamptz null,
      summary jsonb null,
      error text null,
      unique (job, slot)
    )`);
    for (const sql of OUTBOX_INBOX_SQL) this.addSql(sql);
  }
}
