import { context, propagation } from '@opentelemetry/api';
import type { Envelope } from '@reelforge/contracts';
import type { EntityManager } from './orm.ts';
import { assertSchemaName } from './orm.ts';

/**
 * SQL for the outbox and inbox tables; every service's first migration includes it, so each
 * service has its own pair in its own schema.
 */
export const OUTBOX_INBOX_SQL = [
  `create table outbox (
    id uuid primary key,
    subject text not null,
    envelope jsonb not null,
    headers jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    published_at timestamptz null,
    attempts int not null default 0,
    last_error text null
  )`,
  `create index outbox_pending_idx on outbox (created_at) where published_at is null`,
  `create table inbox (
    consumer text not null,
    event_id uuid not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, event_id)
  )`,
];

/** One event for the outbox: where it goes, and what it is. */
export interface OutboxEntry {
  subject: string;
  envelope: Envelope;
  headers?: Record<string, string>;
}

/**
 * Adds events to the outbox inside the caller's transaction, in one statement: they are published
 * if and only if the transaction commits, in the order given. `traceparent` is kept so each
 * relayed message continues the trace.
 */
export async function enqueueOutboxMany(em: EntityManager, schema: string, entries: OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const insert = outboxInsert(schema, entries);
  await em.execute(insert.sql, insert.params);
}

/**
 * The outbox insert of `entries` as SQL text and parameters, to run alone (enqueueOutboxMany) or as
 * one step of a larger statement (a data-modifying CTE), where `onlyIfRowsIn` names the CTE whose
 * rows it depends on: no row there, no event.
 */
export function outboxInsert(
  schema: string,
  entries: OutboxEntry[],
  onlyIfRowsIn?: string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  for (const e of entries) {
    const headers = { ...e.headers };
    // The trace that caused this event continues when the relay publishes it, later, elsewhere.
    propagation.inject(context.active(), headers);
    params.push(e.envelope.id, e.subject, JSON.stringify(e.envelope), JSON.stringify(headers));
  }
  // clock_timestamp(), not the column default now(): now() is the transaction's start time, so rows
  // enqueued in one transaction would tie and be relayed in id order (random within a millisecond).
  // It is evaluated row by row, so the rows keep the order given.
  const rows = entries.map(() => '(?, ?, ?, ?)').join(', ');
  const sql =
    `insert into "${assertSchemaName(schema)}".outbox (id, subject, envelope, headers, created_at) ` +
    `select v.id::uuid, v.subject, v.envelope::jsonb, v.headers::jsonb, clock_timestamp() from (values ${rows}) as v (id, subject, envelope, headers)` +
    (onlyIfRowsIn ? ` where exists (select 1 from ${onlyIfRowsIn})` : '');
  return { sql, params };
}

/** An outbox row keyed by the row it belongs to (a task), its trace context taken now: for a batched insert (outboxInsertKeyed). */
export interface KeyedOutboxRow {
  row_key: string;
  id: string;
  subject: string;
  envelope: Envelope;
  headers: Record<string, string>;
}

/** The row of `entry` for outboxInsertKeyed; built in the caller's context, so the event continues its own trace. */
export function keyedOutboxRow(key: string, entry: OutboxEntry): KeyedOutboxRow {
  const headers = { ...entry.headers };
  propagation.inject(context.active(), headers);
  return { row_key: key, id: entry.envelope.id, subject: entry.subject, envelope: entry.envelope, headers };
}

/**
 * A batched outbox insert as one step of a data-modifying CTE: the rows come as one JSON parameter
 * (so the text, and its prepared plan, is the same for any batch size), and only those whose key
 * is an `id` of the CTE `keysIn` are written: no row there, no event.
 */
export function outboxInsertKeyed(schema: string, keysIn: string): string {
  return (
    `insert into "${assertSchemaName(schema)}".outbox (id, subject, envelope, headers, created_at) ` +
    `select o.id, o.subject, o.envelope, o.headers, clock_timestamp() ` +
    `from jsonb_to_recordset(?::jsonb) as o (row_key uuid, id uuid, subject text, envelope jsonb, headers jsonb) ` +
    `where o.row_key in (select id from ${keysIn})`
  );
}

/** Adds one event to the outbox inside the caller's transaction (enqueueOutboxMany of one). */
export function enqueueOutbox(
  em: EntityManager,
  schema: string,
  subject: string,
  envelope: Envelope,
  headers: Record<string, string> = {},
): Promise<void> {
  return enqueueOutboxMany(em, schema, [{ subject, envelope, headers }]);
}

/**
 * Records that `consumer` handled `eventId`, in the caller's transaction. Returns false when it
 * already had: the caller then skips its writes (the idempotent inbox).
 */
export async function claimInbox(
  em: EntityManager,
  schema: string,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  const rows = await em.execute<{ event_id: string }[]>(
    `insert into "${assertSchemaName(schema)}".inbox (consumer, event_id) values (?, ?) on conflict do nothing returning event_id`,
    [consumer, eventId],
  );
  return rows.length === 1;
}
