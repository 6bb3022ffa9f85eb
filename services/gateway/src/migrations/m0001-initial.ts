import { Migration } from '@mikro-orm/migrations';

/** Frozen once merged: add a new migration instead of editing this one. */
export class M0001Initial extends Migration {
  override async up(): Promise<void> {
    // Server-to-server API keys (`rf_…`): only a hash is stored; revocable.
    this.addSql(`create table api_keys (
      id uuid primary key,
      principal_id text not null,
      name text not null,
      key_hash text not null unique,
      roles text[] not null default '{}',
      created_at timestamptz not null default now(),
      last_used_at timestamptz null,
      revoked_at timestamptz null
    )`);
    // Idempotency-Key records: the same key + principal + route returns the first answer.
    this.addSql(`create table idempotency_records (
      principal_id text not null,
      key text not null,
      route text not null,
      request_hash text not null,
      status_code int null,
      response jsonb null,
      created_at timestamptz not null default now(),
      primary key (principal_id, key, route)
    )`);
  }
}
