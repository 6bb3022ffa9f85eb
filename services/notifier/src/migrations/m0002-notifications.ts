import { Migration } from '@mikro-orm/migrations';

/** In-app notifications per owner principal; ids are UUIDv7, so id order is time order (the page cursor). */
export class M0002Notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table notifications (
      id uuid primary key,
      owner_id text not null,
      account_id uuid not null,
      kind text not null,
      subject_id uuid not null,
      message text not null,
      event_id uuid not null unique,
      created_at timestamptz not null default now(),
      read_at timestamptz null
    )`);
    this.addSql(`create index notifications_owner_idx on notifications (owner_id, id desc)`);
    this.addSql(`create index notifications_unread_idx on notifications (owner_id) where read_at is null`);
  }
}
