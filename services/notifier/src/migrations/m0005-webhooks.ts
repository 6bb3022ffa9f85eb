import { Migration } from '@mikro-orm/migrations';

/** Webhook endpoints per owner, one delivery per (webhook, event), and every attempt at one. */
export class M0005Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table webhooks (
      id uuid primary key,
      owner_id text not null,
      account_id uuid null,
      url text not null,
      secret text not null,
      events text[] not null,
      enabled boolean not null default true,
      disabled_reason text null,
      consecutive_failures int not null default 0,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql(`create index webhooks_owner_idx on webhooks (owner_id)`);
    this.addSql(`create table webhook_deliveries (
      id uuid primary key,
      webhook_id uuid not null references webhooks (id) on delete cascade,
      event_id uuid not null,
      event_type text not null,
      payload text not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      attempts int not null default 0,
      max_attempts int not null,
      next_attempt_at timestamptz not null,
      last_error text null,
      created_at timestamptz not null,
      finished_at timestamptz null,
      unique (webhook_id, event_id)
    )`);
    this.addSql(
      `create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`,
    );
    this.addSql(`create index webhook_deliveries_list_idx on webhook_deliveries (webhook_id, id desc)`);
    this.addSql(`create table webhook_delivery_attempts (
      delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
      attempt int not null,
      started_at timestamptz not null,
      duration_ms int not null,
      response_status int null,
      outcome text not null check (outcome in ('delivered', 'retry', 'failed')),
      error text null,
      primary key (delivery_id, attempt)
    )`);
  }
}
