import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_INBOX_SQL } from '@reelforge/persistence';

/** Frozen once merged: add a new migration instead of editing this one. */
export class M0001Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table tasks (
      id uuid primary key,
      account_id uuid not null,
      generation_id uuid null,
      source_id uuid null,
      source_url text not null,
      content_type text not null,
      options jsonb not null default '{}'::jsonb,
      status text not null check (status in ('queued', 'processing', 'completed', 'failed', 'cancelled')),
      stage text not null default 'queued',
      percent double precision not null default 0,
      attempt int not null default 0,
      error_code text null,
      error_message text null,
      created_at timestamptz not null default now(),
      started_at timestamptz null,
      finished_at timestamptz null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index tasks_account_idx on tasks (account_id, created_at desc)`);
    this.addSql(`create index tasks_status_idx on tasks (status, created_at)`);
    this.addSql(`create table task_attempts (
      task_id uuid not null references tasks (id),
      attempt int not null,
      started_at timestamptz not null default now(),
      finished_at timestamptz null,
      error_code text null,
      error_message text null,
      primary key (task_id, attempt)
    )`);
    this.addSql(`create table generated_content (
      id uuid primary key,
      task_id uuid not null references tasks (id),
      account_id uuid not null,
      clip_index int not null,
      media_key text not null,
      duration_seconds double precision not null,
      size_bytes bigint not null,
      width int not null,
      height int not null,
      checksum_sha256 text not null,
      created_at timestamptz not null default now(),
      unique (task_id, clip_index)
    )`);
    this.addSql(`create index generated_content_account_idx on generated_content (account_id, created_at desc)`);
    for (const sql of OUTBOX_INBOX_SQL) this.addSql(sql);
  }
}
