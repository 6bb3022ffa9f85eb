import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import { Migration } from '@mikro-orm/migrations';
import type { Envelope } from '@reelforge/contracts';
import type { Logger } from 'pino';
import type { MikroORM } from './orm.ts';
import { assertSchemaName } from './orm.ts';
import { executePrepared } from './prepared-statements.ts';

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

/**
 * Who holds a lease: a relay claims its next batch while the current one is being published, and
 * its own leased rows (sent or being sent, in order) must not hold that claim back as another
 * replica's would. Appended after OutboxLeaseMigration.
 */
export const OUTBOX_LEASE_OWNER_SQL = [`alter table outbox add column lease_owner uuid null`];

export class OutboxLeaseOwnerMigration extends Migration {
  override async up(): Promise<void> {
    for (const sql of OUTBOX_LEASE_OWNER_SQL) this.addSql(sql);
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
 * pass, so no replica can overtake another within a subject. The one exception is this relay's own
 * unexpired lease: those rows are its previous batch, sent before anything of this claim is (see
 * startOutboxRelay), so they do not block it. The relay's bookkeeping commits without waiting for
 * the WAL flush: a lost lease only delays a row, a lost "published" mark re-sends it, which the
 * server's de-duplication (Nats-Msg-Id) and the consumers' inboxes absorb; the events themselves
 * were made durable by the writers' commits.
 */
function claimSql(schema: string): string {
  const outbox = `"${schema}".outbox`;
  // Parameters in order: limit, owner, lease seconds, owner.
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
  -- lateral + limit 1: an index probe per subject that walks back from the subject's last
  -- candidate and stops at the first earlier row found, which reads at most this batch's rows,
  -- however long the subject's backlog and the table of published rows are. The order by is what
  -- keeps the planner on a pending-rows index: without it, a subject that is most of the table
  -- (one busy account) got a sequential scan of every row, published ones included, per claim.
  select l.subject from last_per_subject l
  cross join lateral (
    select 1 from ${outbox} e
    where e.subject = l.subject and e.published_at is null and (e.created_at, e.id) < (l.created_at, l.id)
      and e.id not in (select id from candidates)
      and not (e.lease_owner is not distinct from ?::uuid and e.lease_until > now())
    order by e.created_at desc, e.id desc
    limit 1
  ) earlier
),
claimed as (
  update ${outbox} o set lease_until = now() + make_interval(secs => ?), lease_owner = ?::uuid
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
  update "${schema}".outbox set published_at = now(), lease_until = null, lease_owner = null
  where (select true from settings) and id = any(?::uuid[])
),
released as (
  update "${schema}".outbox o set lease_until = null, lease_owner = null, attempts = o.attempts + f.attempted, last_error = coalesce(f.error, o.last_error)
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
 * Relays committed outbox rows to JetStream, oldest first. Each batch is claimed with a lease (see
 * claimSql); every subject's rows are published pipelined and the subjects in parallel; then one
 * statement marks what the server acked and releases the rest. Batches overlap: the next claim
 * runs while a batch is being published, and a batch's settle while the next is, but a batch is
 * sent only once the previous one is acked, so the wire keeps each subject's order. A failure
 * ends the overlap: the batch claimed meanwhile is released unsent (its rows may sit behind the
 * failed one), and the next pass starts from a fresh claim, where the failed row goes first.
 * A relay that dies mid-pass leaves its rows leased until `leaseMs` runs out; another replica
 * then sends them (a duplicate send is de-duplicated by the server through Nats-Msg-Id = event
 * id, and by the consumers' inboxes).
 */
export function startOutboxRelay(options: {
  orm: MikroORM;
  schema: string;
  publish: (row: OutboxRow) => Promise<void>;
  log: Logger;
  intervalMs?: number;
  /** Rows per claim (default 500). */
  batchSize?: number;
  /** How long a claimed row stays with this relay; must exceed a publish's timeout (default 30 s). */
  leaseMs?: number;
}): OutboxRelay {
  const schema = assertSchemaName(options.schema);
  const log = options.log.child({ component: 'outbox-relay' });
  const intervalMs = options.intervalMs ?? 250;
  const batchSize = options.batchSize ?? 500;
  const leaseSeconds = (options.leaseMs ?? 30_000) / 1000;
  const owner = randomUUID();
  const claimStatement = claimSql(schema);
  const settleStatement = settleSql(schema);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  // These promises are awaited later, after other network I/O: marked handled now, so a failure
  // meanwhile is not an unhandled rejection (it still throws where it is awaited).
  const handled = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return p;
  };
  const claim = () =>
    handled(
      executePrepared<ClaimedRow>(options.orm.em.fork(), claimStatement, [batchSize, owner, leaseSeconds, owner]),
    );
  const settle = async (o: SubjectOutcome): Promise<void> => {
    if (o.published.length + o.released.length === 0) return;
    await executePrepared(options.orm.em.fork(), settleStatement, [
      `{${o.published.join(',')}}`,
      JSON.stringify(o.released),
    ]);
  };
  const unsent = (rows: readonly ClaimedRow[]): SubjectOutcome => ({
    published: [],
    released: rows.map((r) => ({ id: r.id, attempted: 0, error: null })),
  });

  /** A batch's publishes, settled: what to mark published and what to release (with why, when tried). */
  async function publishBatch(rows: readonly ClaimedRow[]): Promise<SubjectOutcome> {
    const bySubject = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const group = bySubject.get(row.subject);
      if (group) group.push(row);
      else bySubject.set(row.subject, [row]);
    }
    const outcomes = await Promise.all(
      [...bySubject.values()].map((group) => publishSubject(group, options.publish, log)),
    );
    return {
      published: outcomes.flatMap((o) => o.published),
      released: outcomes.flatMap((o) => o.released),
    };
  }

  /** Batches until one is not full, one fails or the relay stops; each claim overlaps the batch before it. */
  async function pass(): Promise<void> {
    let next: Promise<ClaimedRow[]> | null = claim();
    let settling: Promise<void> = Promise.resolve();
    try {
      while (next) {
        const rows: ClaimedRow[] = await next;
        next = null;
        if (rows.length === 0) break;
        if (stopped) {
          await settle(unsent(rows));
          break;
        }
        const sending = publishBatch(rows);
        // The next claim runs while this batch is on the wire; it is sent only after this one.
        if (rows.length === batchSize) next = claim();
        const outcome = await sending;
        const previous = settling;
        settling = handled(previous.then(() => settle(outcome)));
        if (outcome.released.length > 0 && next) {
          // Rows of the overlapping claim may sit behind a failed one: released unsent.
          const overlapped: ClaimedRow[] = await next;
          next = null;
          settling = handled(settling.then(() => settle(unsent(overlapped))));
        }
      }
    } finally {
      // A claim still in flight when a statement failed: its rows go back rather than wait out the lease.
      if (next)
        await next.then(
          (rows) => settle(unsent(rows)),
          () => undefined,
        );
      await settling;
    }
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      try {
        if (!stopped) await pass();
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
