import { Migration } from '@mikro-orm/migrations';

/** Mails to send (completion, digest) and every attempt at handing one over. */
export class M0004MailDeliveries extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table mail_deliveries (
      id uuid primary key,
      owner_id text not null,
      kind text not null,
      to_address text not null,
      subject text not null,
      text_body text not null,
      html_body text not null,
      status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
      attempts int not null default 0,
      next_attempt_at timestamptz not null,
      last_error text null,
      source_event_id uuid null unique,
      created_at timestamptz not null default now(),
      finished_at timestamptz null
    )`);
    this.addSql(`create index mail_deliveries_due_idx on mail_deliveries (next_attempt_at) where status = 'pending'`);
    this.addSql(`create table mail_delivery_attempts (
      delivery_id uuid not null references mail_deliveries (id) on delete cascade,
      attempt int not null,
      started_at timestamptz not null,
      finished_at timestamptz not null,
      outcome text not null check (outcome in ('sent', 'retry', 'failed')),
      error text null,
      primary key (delivery_id, attempt)
    )`);
  }
}
