import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_INBOX_SQL } from '@reelforge/persistence';

/** Frozen once merged: add a new migration instead of editing this one. */
export class M0001Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table accounts (
      id uuid primary key,
      owner_id text not null,
      name text not null,
      timezone text not null default 'UTC',
      auto_generate_enabled boolean not null default false,
      auto_generate_hour int null check (auto_generate_hour between 0 and 23),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index accounts_owner_idx on accounts (owner_id, created_at)`);
    this.addSql(`create table source_videos (
      id uuid primary key,
      account_id uuid not null references accounts (id),
      url text not null,
      state text not null default 'available' check (state in ('available', 'reserved', 'used', 'failed')),
      generation_id uuid null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index source_videos_pick_idx on source_videos (account_id, state, created_at)`);
    this.addSql(`create table generations (
      id uuid primary key,
      account_id uuid not null references accounts (id),
      content_type text not null,
      status text not null check (status in ('queuing', 'processing', 'completed', 'partially_failed', 'failed', 'cancelled')),
      total_requested int not null check (total_requested >= 0),
      queued int not null default 0,
      processing int not null default 0,
      completed int not null default 0,
      failed int not null default 0,
      cancelled int not null default 0,
      options jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz null,
      constraint generations_counters_sum check (completed + failed + cancelled <= total_requested)
    )`);
    this.addSql(`create index generations_account_idx on generations (account_id, created_at desc)`);
    this.addSql(
      `create index generations_open_idx on generations (status, created_at) where status in ('queuing', 'processing')`,
    );
    this.addSql(`create table generation_tasks (
      task_id uuid primary key,
      generation_id uuid not null references generations (id),
      source_id uuid not null references source_videos (id),
      status text not null check (status in ('queued', 'processing', 'completed', 'failed', 'cancelled')),
      error_code text null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index generation_tasks_generation_idx on generation_tasks (generation_id)`);
    this.addSql(`create table generation_locks (
      account_id uuid not null references accounts (id),
      content_type text not null,
      generation_id uuid not null references generations (id),
      acquired_at timestamptz not null default now(),
      expires_at timestamptz not null,
      primary key (account_id, content_type)
    )`);
    for (const sql of OUTBOX_INBOX_SQL) this.addSql(sql);
  }
}
