import { Migration } from '@mikro-orm/migrations';
import { BACKLOG_ACCOUNT_ID, BACKLOG_OWNER_ID } from '@reelforge/contracts';

/**
 * The backlog's items are generations of one system account (so they are made, stored and shown by
 * the same machinery as everyone's), tagged with their recipe and the form they were made from.
 * A claim moves one to a user's account and records itself once per (account, claim key).
 */
export class M0009Backlog extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `insert into accounts (id, owner_id, name) values ('${BACKLOG_ACCOUNT_ID}', '${BACKLOG_OWNER_ID}', 'Backlog (system)') on conflict (id) do nothing`,
    );
    this.addSql(`alter table generations add column recipe_id uuid null`);
    this.addSql(`alter table generations add column backlog_form jsonb null`);
    // What each video of a generation cost when it started (GENERATION_CREDIT_COST then): refunds use it.
    this.addSql(`alter table generations add column credits_per_task int not null default 0`);
    // The claim reads the oldest ready item of a recipe: this index serves exactly that.
    this.addSql(
      `create index generations_backlog_ready_idx on generations (recipe_id, finished_at, id) where account_id = '${BACKLOG_ACCOUNT_ID}' and status = 'completed'`,
    );
    this.addSql(
      `create index generations_backlog_open_idx on generations (recipe_id) where account_id = '${BACKLOG_ACCOUNT_ID}' and status in ('queuing', 'processing')`,
    );
    this.addSql(`create table library_sources (
      id uuid primary key,
      url text not null,
      captions_url text null,
      tags text[] not null,
      uses bigint not null default 0,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index library_sources_tags_idx on library_sources using gin (tags)`);
    this.addSql(`create table backlog_claims (
      id uuid primary key,
      account_id uuid not null references accounts (id),
      claim_key text not null,
      recipe_id uuid not null,
      generation_id uuid not null unique references generations (id),
      credits_charged bigint not null,
      created_at timestamptz not null default now(),
      unique (account_id, claim_key)
    )`);
    this.addSql(`create index backlog_claims_recipe_idx on backlog_claims (recipe_id, created_at)`);
  }
}
