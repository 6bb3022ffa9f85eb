import { Migration } from '@mikro-orm/migrations';

/** One row per clip changed by the firing statement: + for a row added, − for a row removed. */
const added = `select account_id, coalesce(owner_id, '') as owner_id, size_bytes as bytes, 1 as clips from added`;
const removed = `select account_id, coalesce(owner_id, '') as owner_id, -size_bytes as bytes, -1 as clips from removed`;

/** Adds the changes to the totals; the rows are taken in key order, so two writers queue, never deadlock. */
const apply = (changes: string) => `insert into account_usage as u (account_id, owner_id, bytes, clips)
      select account_id, owner_id, sum(bytes), sum(clips) from (${changes}) d
       group by account_id, owner_id having sum(bytes) <> 0 or sum(clips) <> 0 order by account_id, owner_id
      on conflict (account_id, owner_id) do update set bytes = u.bytes + excluded.bytes, clips = u.clips + excluded.clips`;

/**
 * What each account's clips take, kept as a running total per account and owner: the quota check
 * (on every start, and before a task stores clips) summed the account's clips, which grew with the
 * account. Statement triggers keep it, so every path that writes clips (a completion, a delete,
 * the expiry job, the owner backfill) counts without knowing about it. Ownerless clips (from
 * before owners were recorded) count under owner ''. A transition table exists only in the
 * triggers that declare it; PL/pgSQL plans a branch when it first runs it, so each trigger's
 * branch names only its own.
 */
export class M0010AccountUsage extends Migration {
  override async up(): Promise<void> {
    // No clip is written meanwhile (a replica still on the old code during a rolling deploy): the
    // backfill below then counts exactly the clips that were there before the triggers.
    this.addSql(`lock table generated_content in share row exclusive mode`);
    this.addSql(`create table account_usage (
      account_id uuid not null,
      owner_id text not null,
      bytes bigint not null default 0,
      clips int not null default 0,
      primary key (account_id, owner_id)
    )`);
    this
      .addSql(`create function account_usage_apply() returns trigger language plpgsql set search_path from current as $$
    begin
      if TG_OP = 'INSERT' then
        ${apply(added)};
      elsif TG_OP = 'DELETE' then
        ${apply(removed)};
      else
        ${apply(`${added} union all ${removed}`)};
      end if;
      return null;
    end $$`);
    for (const [op, tables] of [
      ['insert', 'new table as added'],
      ['delete', 'old table as removed'],
      ['update', 'old table as removed new table as added'],
    ] as const)
      this.addSql(
        `create trigger generated_content_usage_${op} after ${op} on generated_content referencing ${tables} for each statement execute function account_usage_apply()`,
      );
    this.addSql(`insert into account_usage (account_id, owner_id, bytes, clips)
      select account_id, coalesce(owner_id, ''), sum(size_bytes), count(*) from generated_content group by 1, 2`);
  }
}
