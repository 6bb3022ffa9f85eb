import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import { Migration } from '@mikro-orm/migrations';
import type { Envelope } from '@reelforge/contracts';
import type { Logger } from 'pino';
import type { MikroORM } from './orm.ts';
import { assertSchemaName } from './orm.ts';

/**
 * The relay's lease on the rows it is publishing, and the index its claim uses to keep each
 * subject's rows in order across replicas. Every service with an outbox appends this migration.
 */
export const OUTBOX_LEASE_SQL = [
  `alter table outbox add column lease_until timestamptz null`,
  `create index outbox_subject_pending_idx on outbox (subject, created_at, id) where published_at is null`,
];

export class OutboxLeaseMigration extends Migration {
  override async up(): Promise<void> {
    for (const sql of OUTBOX_LEASE_SQL) this.addSql(sql);
  }
}

export interface OutboxRow {
  id: string;
  subject: string;
  envelope: Envelope;
  headers: Record<string, string>;
}

interface ClaimedRow extends OutboxRow {
  attempts: number;
}

export interface OutboxRelay {
  /** Publishes what is pending now, without waiting for the next tick (call after a commit). */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * Claims up to `limit` pending rows, oldest first, by leasing them in one statement (no
 * transaction stays open while they are published). A subject's rows are claimed only as the
 * whole head of that subject: if an earlier pending row of the subject is not among this claim
 * (another replica holds it, or it is locked by a claim in flight), the subject is left alone this
 * pass, so no replica can overtake another within a subject. The relay's bookkeeping commits
 * without waiting for the WAL flush: a lost lease only delays a row, a lost "published" mark
 * re-sends it, which the server's de-duplication (Nats-Msg-Id) and the consumers' inboxes absorb;
 * the events themselves were made durable by the writers' commits.
 */
function claimSql(schema: string): string {
  const outbox = `"${schema}".outbox`;
  return `with settings as (select set_config('synchronous_commit', 'off', true)),
candidates as (
  select id, subject, created_at from ${outbox} where published_at is null
    and (lease_until is null or lease_until < now()) and (select true from settings)
  order by created_at, id limit ? for update skip locked
),
last_per_subject as (
  select distinct on (subject) id, subject, created_at from candidates order by subject, created_at desc, id desc
),
blocked as (
  select l.subject from last_per_subject l
  where exists (
    select 1 from ${outbox} e
    where e.subject = l.subject and e.published_at is null and (e.created_at, e.id) < (l.created_at, l.id)
      and e.id not in (select id from candidates)
  )
),
claimed as (
  update ${outbox} o set lease_until = now() + make_interval(secs => ?)
  from candidates c
  where o.id = c.id and c.subject not in (select subject from blocked)
  returning o.id, o.subject, o.envelope, o.headers, o.attempts, o.created_at
)
select id, subject, envelope, headers, attempts from claimed order by created_at, id`;
}

/** Marks published rows and releases the lease of the others (recording why, when tried), in one statement. */
function settleSql(schema: string): string {
  return `with settings as (select set_config('synchronous_commit', 'off', true)),
published as (
  update "${schema}".outbox set published_at = now(), lease_until = null
  where (select true from settings) and id = any(?::uuid[])
),
released as (
  update "${schema}".outbox o set lease_until = null, attempts = o.attempts + f.attempted, last_error = coalesce(f.error, o.last_error)
  from jsonb_to_recordset(?::jsonb) as f (id uuid, attempted int, error text)
  where (select true from settings) and o.id = f.id
)
select 1`;
}

/** What one subject's publishes came to: the rows stored, and those to claim again (with why, when tried). */
interface SubjectOutcome {
  published: string[];
  released: { id: string; attempted: number; error: string | null }[];
}

/**
 * Publishes one subject's rows in order. They are pipelined: each publish is sent without waiting
 * for the previous PubAck, and one connection keeps their order on the wire, so the server stores
 * them in order. A row that already failed once goes alone first, and the rest wait for it: once a
 * row has failed, nothing sent later overtakes it. (Within the pipelined window where a row fails
 * for the first time, the rows behind it may already be stored: that happens only when the server
 * refuses that one message, since a lost connection fails them all.)
 */
async function publishSubject(
  rows: readonly ClaimedRow[],
  publish: (row: OutboxRow) => Promise<void>,
  log: Logger,
): Promise<SubjectOutcome> {
  const outcome: SubjectOutcome = { published: [], released: [] };
  const send = (row: OutboxRow) =>
    context.with(propagation.extract(ROOT_CONTEXT, row.headers ?? {}), () => publish(row));
  const fail = (row: ClaimedRow, err: unknown) => {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    log.warn({ id: row.id, subject: row.subject, err: error }, 'outbox publish failed; will retry');
    outcome.released.push({ id: row.id, attempted: 1, error });
  };
  let rest = rows;
  if (rows[0] && rows[0].attempts > 0) {
    const head = rows[0];
    rest = rows.slice(1);
    try {
      await send(head);
      outcome.published.push(head.id);
    } catch (err) {
      fail(head, err);
      for (const row of rest) outcome.released.push({ id: row.id, attempted: 0, error: null });
      return outcome;
    }
  }
  const results = await Promise.allSettled(rest.map((row) => send(row)));
  results.forEach((r, i) => {
    const row = rest[i]!;
    if (r.status === 'fulfilled') outcome.published.push(row.id);
    else fail(row, r.reason);
  });
  return outcome;
}

/**
 * Relays committed outbox rows to JetStream, oldest first. Each pass claims a batch with a lease
 * (see claimSql), publishes every subject's rows pipelined and the subjects in parallel, then marks
 * what the server acked and releases the rest, each in one statement. A relay that dies mid-pass
 * leaves its rows leased until `leaseMs` runs out; another replica then sends them (a duplicate
 * send is de-duplicated by the server through Nats-Msg-Id = event id, and by the consumers' inboxes).
 */
export function startOutboxRelay(options: {
  orm: MikroORM;
  schema: string;
  publish: (row: OutboxRow) => Promise<void>;
  log: Logger;
  intervalMs?: number;
  batchSize?: number;
  /** How long a claimed row stays with this relay; must exceed a publish's timeout (default 30 s). */
  leaseMs?: number;
}): OutboxRelay {
  const schema = assertSchemaName(options.schema);
  const log = options.log.child({ component: 'outbox-relay' });
  const intervalMs = options.intervalMs ?? 250;
  const batchSize = options.batchSize ?? 200;
  const leaseSeconds = (options.leaseMs ?? 30_000) / 1000;
  const claim = claimSql(schema);
  const settle = settleSql(schema);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  /** One pass; returns whether it found a full batch (so there may be more right away). */
  async function relayBatch(): Promise<boolean> {
    const em = options.orm.em.fork();
    const rows = await em.execute<ClaimedRow[]>(claim, [batchSize, leaseSeconds]);
    if (rows.length === 0) return false;
    const bySubject = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const group = bySubject.get(row.subject);
      if (group) group.push(row);
      else bySubject.set(row.subject, [row]);
    }
    const outcomes = await Promise.all(
      [...bySubject.values()].map((group) => publishSubject(group, options.publish, log)),
    );
    const published = outcomes.flatMap((o) => o.published);
    const released = outcomes.flatMap((o) => o.released);
    await em.execute(settle, [`{${published.join(',')}}`, JSON.stringify(released)]);
    return released.length === 0 && rows.length === batchSize;
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      try {
        while (!stopped && (await relayBatch()));
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
