import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { Envelope } from '@reelforge/contracts';
import type { Logger } from 'pino';
import type { EntityManager, MikroORM } from './orm.ts';
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

export interface OutboxRow {
  id: string;
  subject: string;
  envelope: Envelope;
  headers: Record<string, string>;
}

export interface OutboxRelay {
  /** Publishes what is pending now, without waiting for the next tick (call after a commit). */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * Relays committed outbox rows to JetStream, oldest first. Rows are locked with SKIP LOCKED so
 * several replicas relay in parallel without sending a row twice at once; a row is marked published
 * only after the server acked it. A crash between the ack and the mark re-sends it, and the
 * server's de-duplication (Nats-Msg-Id = event id) plus consumers' inboxes absorb that.
 */
export function startOutboxRelay(options: {
  orm: MikroORM;
  schema: string;
  publish: (row: OutboxRow) => Promise<void>;
  log: Logger;
  intervalMs?: number;
  batchSize?: number;
}): OutboxRelay {
  const schema = assertSchemaName(options.schema);
  const log = options.log.child({ component: 'outbox-relay' });
  const intervalMs = options.intervalMs ?? 250;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  async function relayBatch(): Promise<number> {
    const em = options.orm.em.fork();
    return em.transactional(async (tx) => {
      const rows = await tx.execute<
        { id: string; subject: string; envelope: Envelope; headers: Record<string, string> }[]
      >(
        `select id, subject, envelope, headers from "${schema}".outbox where published_at is null order by created_at, id limit ? for update skip locked`,
        [options.batchSize ?? 100],
      );
      // Order is kept per subject (a subject is one account's stream of facts): rows of one subject
      // go one after the other and stop at a failure; different subjects go in parallel.
      const bySubject = new Map<string, OutboxRow[]>();
      for (const row of rows) bySubject.set(row.subject, [...(bySubject.get(row.subject) ?? []), row]);
      const published: string[] = [];
      let failed = false;
      await Promise.all(
        [...bySubject.values()].map(async (group) => {
          for (const row of group) {
            try {
              await context.with(propagation.extract(ROOT_CONTEXT, row.headers ?? {}), () => options.publish(row));
              published.push(row.id);
            } catch (err) {
              failed = true;
              log.warn(
                { id: row.id, err: err instanceof Error ? err.message : String(err) },
                'outbox publish failed; will retry',
              );
              await tx.execute(`update "${schema}".outbox set attempts = attempts + 1, last_error = ? where id = ?`, [
                String(err).slice(0, 500),
                row.id,
              ]);
              return; // the rest of this subject waits for the failed row
            }
          }
        }),
      );
      if (published.length)
        await tx.execute(`update "${schema}".outbox set published_at = now() where id = any(?::uuid[])`, [
          `{${published.join(',')}}`,
        ]);
      return failed ? 0 : rows.length;
    });
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      try {
        while (!stopped && (await relayBatch()) === (options.batchSize ?? 100));
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox relay pass failed');
      }
    } while (again && !stopped);
  }

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // Outside the caller's context: `kick()` runs inside a handler's span, and without this every
    // later poll (the timer chain keeps the async context) would land in that request's trace. Each
    // publish still joins the trace of the row that carried it (its stored headers).
    running = context.with(ROOT_CONTEXT, drain).finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(run, intervalMs);
    });
  }

  run();
  return {
    kick: () => {
      clearTimeout(timer);
      run();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
