import { afterEach, describe, expect, inject, it } from 'vitest';
import { Migration } from '@mikro-orm/migrations';
import { makeEnvelope, uuidv7, type Envelope } from '@reelforge/contracts';
import {
  OUTBOX_INBOX_SQL,
  OUTBOX_LEASE_OWNER_SQL,
  OUTBOX_LEASE_SQL,
  claimInbox,
  createOrm,
  enqueueOutbox,
  migrate,
  startOutboxRelay,
  type MikroORM,
  type OutboxRelay,
  type OutboxRow,
} from '@reelforge/persistence';
import { eventually, memoryLogger, uniqueToken } from '@reelforge/testing';

// The outbox, inbox and migration lock against a real PostgreSQL; every test has its own schema.

class M1 extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...OUTBOX_INBOX_SQL, ...OUTBOX_LEASE_SQL, ...OUTBOX_LEASE_OWNER_SQL]) this.addSql(sql);
    // Holds the migration open a moment, so two concurrent runs surely overlap.
    this.addSql('select pg_sleep(0.2)');
  }
}

const { log } = memoryLogger('persistence-test');
const orms: MikroORM[] = [];
const relays: OutboxRelay[] = [];
const schemas: string[] = [];
/** Opens every gate a test holds a publish callback on, so a failed test still lets its relays stop. */
const gates: (() => void)[] = [];

function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  gates.push(open);
  return { opened, open };
}

afterEach(async () => {
  for (const open of gates.splice(0)) open();
  while (relays.length) await relays.pop()!.stop();
  const admin = orms[0];
  for (const schema of schemas.splice(0)) await admin?.em.fork().execute(`drop schema if exists "${schema}" cascade`);
  while (orms.length) await orms.pop()!.close(true);
});

function newSchema(): string {
  const schema = uniqueToken('outbox_test_');
  schemas.push(schema);
  return schema;
}

async function open(schema: string): Promise<MikroORM> {
  const orm = await createOrm({
    databaseUrl: inject('databaseUrl'),
    schema,
    entities: [],
    migrations: [{ name: 'm1', class: M1 }],
    log,
  });
  orms.push(orm);
  return orm;
}

/** A migrated schema and its ORM. */
async function migrated(): Promise<{ orm: MikroORM; schema: string }> {
  const schema = newSchema();
  const orm = await open(schema);
  await migrate(orm, schema, log);
  return { orm, schema };
}

function event(n: number): Envelope<'test.thing.v1', { n: number }> {
  return makeEnvelope('test.thing.v1', 'test', uuidv7(), { n });
}

interface Row {
  id: string;
  published_at: Date | null;
  attempts: number;
  last_error: string | null;
}

async function outboxRows(orm: MikroORM, schema: string): Promise<Row[]> {
  return orm.em
    .fork()
    .execute<Row[]>(`select id, published_at, attempts, last_error from "${schema}".outbox order by created_at, id`);
}

function relay(
  orm: MikroORM,
  schema: string,
  publish: (row: OutboxRow) => Promise<void>,
  options: { intervalMs?: number; batchSize?: number; leaseMs?: number } = {},
): OutboxRelay {
  const r = startOutboxRelay({
    orm,
    schema,
    publish,
    log,
    intervalMs: options.intervalMs ?? 50,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  relays.push(r);
  return r;
}

/** Resolves once `reached()` holds, checked by `check()` after every callback; rejects (readably) at the deadline. */
function when(
  what: string,
  reached: () => boolean,
  deadlineMs = 15_000,
): { check: () => void; promise: Promise<void> } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`${what}: not reached within ${deadlineMs} ms`)), deadlineMs);
  return {
    promise,
    check: () => {
      if (reached()) {
        clearTimeout(timer);
        resolve();
      }
    },
  };
}

async function allPublished(orm: MikroORM, schema: string, n: number): Promise<Row[]> {
  return eventually(
    `${n} outbox rows marked published`,
    async () => {
      const rows = await outboxRows(orm, schema);
      return rows.length === n && rows.every((r) => r.published_at !== null) ? rows : undefined;
    },
    10_000,
  );
}

describe('migrate', () => {
  it('applies a migration once when two replicas migrate at the same time, and nothing on a later run', async () => {
    const schema = newSchema();
    const [a, b] = [await open(schema), await open(schema)];

    const results = await Promise.all([migrate(a, schema, log), migrate(b, schema, log)]);
    expect(results.flat()).toEqual(['m1']);
    expect(results.map((r) => r.length).sort()).toEqual([0, 1]);

    expect(await migrate(await open(schema), schema, log)).toEqual([]);
    const recorded = await a.em.fork().execute<{ name: string }[]>(`select name from "${schema}".mikro_orm_migrations`);
    expect(recorded.map((r) => r.name)).toEqual(['m1']);
    const tables = await a.em
      .fork()
      .execute<{ table_name: string }[]>(
        `select table_name from information_schema.tables where table_schema = ? order by table_name`,
        [schema],
      );
    expect(tables.map((t) => t.table_name)).toEqual(['inbox', 'mikro_orm_migrations', 'outbox']);
  });
});

describe('outbox', () => {
  it('relays nothing from a rolled-back transaction, and a committed batch exactly once, in order', async () => {
    const { orm, schema } = await migrated();

    const lost = event(0);
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await enqueueOutbox(tx, schema, 'thing.rolled-back', lost);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await outboxRows(orm, schema)).toEqual([]);

    const events = [1, 2, 3, 4, 5].map(event);
    await orm.em.fork().transactional(async (tx) => {
      for (const e of events)
        await enqueueOutbox(tx, schema, `thing.${e.data.n}`, e, {
          traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
        });
    });

    const published: OutboxRow[] = [];
    const five = when('five rows published', () => published.length >= 5);
    const first = relay(orm, schema, async (row) => {
      published.push(row);
      five.check();
    });
    await five.promise;
    const rows = await allPublished(orm, schema, 5);
    await first.stop();
    // A later relay's pass over the same schema must find nothing left to send.
    await relay(orm, schema, async (row) => void published.push(row)).stop();

    expect(published.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(published.map((r) => r.subject)).toEqual(['thing.1', 'thing.2', 'thing.3', 'thing.4', 'thing.5']);
    expect(published[0]!.envelope).toEqual(events[0]);
    expect(published[0]!.headers).toEqual({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` });
    expect(published.some((r) => r.id === lost.id)).toBe(false);
    expect(rows.every((r) => r.attempts === 0 && r.last_error === null)).toBe(true);
  });

  it('keeps a failed row pending with its error, and sends nothing of its subject before it once it has failed', async () => {
    const { orm, schema } = await migrated();
    const events = [1, 2, 3].map(event);
    await orm.em.fork().transactional(async (tx) => {
      for (const e of events) await enqueueOutbox(tx, schema, 'thing', e);
    });
    const [first] = events;
    const late = event(4);

    const calls: string[] = [];
    const hold = gate();
    const secondFailure = when('the failed row tried again', () => calls.length === 4);
    const done = when('all four rows published', () => calls.includes(late.id));
    relay(orm, schema, async (row) => {
      calls.push(row.id);
      secondFailure.check();
      done.check();
      // The first pass pipelines rows 1–3 and only row 1 fails; the row then fails twice more
      // (the second time while row 4 waits behind it), and goes through on its fourth try.
      if (calls.length === 1 || calls.length === 5) throw new Error('nats unavailable');
      if (calls.length === 4) {
        await hold.opened;
        throw new Error('nats still unavailable');
      }
    });

    // The retry has begun, so the first pass has settled: check what it left behind.
    await secondFailure.promise;
    expect(calls).toEqual([first!.id, events[1]!.id, events[2]!.id, first!.id]);
    const afterFailure = await outboxRows(orm, schema);
    expect(afterFailure.map((r) => r.published_at !== null)).toEqual([false, true, true]);
    expect(afterFailure[0]!.attempts).toBe(1);
    expect(afterFailure[0]!.last_error).toContain('nats unavailable');

    // A row written behind the failed one is not sent before it, however often the failed one fails.
    await orm.em.fork().transactional((tx) => enqueueOutbox(tx, schema, 'thing', late));
    hold.open();
    await done.promise;
    const rows = await allPublished(orm, schema, 4);
    await relays.pop()!.stop();
    expect(calls).toEqual([first!.id, events[1]!.id, events[2]!.id, first!.id, first!.id, first!.id, late.id]);
    expect(rows.find((r) => r.id === first!.id)!.attempts).toBe(3);
    expect(rows.find((r) => r.id === late.id)!.attempts).toBe(0);
  });

  it('claims the next batch while one is on the wire, sends it only after, and releases it unsent when that batch failed', async () => {
    const { orm, schema } = await migrated();
    const events = Array.from({ length: 9 }, (_, i) => event(i + 1));
    await orm.em.fork().transactional(async (tx) => {
      for (const e of events) await enqueueOutbox(tx, schema, 'thing', e);
    });
    const n = (row: OutboxRow) => (row.envelope.data as { n: number }).n;
    const leasedUnsent = () =>
      orm.em
        .fork()
        .execute<{ n: number }[]>(
          `select (envelope->'data'->>'n')::int as n from "${schema}".outbox where lease_owner is not null and published_at is null order by 1`,
        );

    const calls: number[] = [];
    const hold = gate();
    const done = when('the ninth row published', () => calls.includes(9));
    relay(
      orm,
      schema,
      async (row) => {
        calls.push(n(row));
        done.check();
        if (calls.length === 1) await hold.opened; // row 1 stays on the wire
        if (calls.length === 2) throw new Error('nats refused row 2');
      },
      { batchSize: 3 },
    );

    // While row 1 waits for its ack, the next batch (rows 4–6) is already claimed, and not sent.
    const overlapped = await eventually('rows 4–6 claimed while row 1 is in flight', async () => {
      const leased = (await leasedUnsent()).map((r) => r.n);
      return leased.includes(6) ? leased : undefined;
    });
    expect(overlapped).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls).toEqual([1, 2, 3]);
    hold.open();

    await done.promise;
    const rows = await allPublished(orm, schema, 9);
    await relays.pop()!.stop();
    // Row 2 failed, so the overlapping claim went back unsent; the next pass starts with row 2 alone.
    expect(calls).toEqual([1, 2, 3, 2, 4, 5, 6, 7, 8, 9]);
    expect(rows.map((r) => r.attempts)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(await leasedUnsent()).toEqual([]);
  });

  it('relays 50 rows of five subjects with two relays at once, each row exactly once', async () => {
    const schema = newSchema();
    const [a, b] = [await open(schema), await open(schema)];
    await migrate(a, schema, log);
    // Subject by subject, so the first relay's batch of 10 is one whole subject and the other
    // relay finds the next subject free.
    const events = Array.from({ length: 50 }, (_, i) => event(i));
    await a.em.fork().transactional(async (tx) => {
      for (const e of events) await enqueueOutbox(tx, schema, `thing.${Math.floor(e.data.n / 10)}`, e);
    });

    const perId = new Map<string, number>();
    const perRelay = [0, 0];
    const all = when('50 distinct rows published', () => perId.size === 50);
    // The first publish (whichever relay makes it) is held, with its batch leased, until the other
    // relay has published a row: both relays really run at once, and one must skip the other's rows.
    let firstRelay: number | undefined;
    const otherPublished = gate();
    const publisher = (relayNo: number) => async (row: OutboxRow) => {
      perId.set(row.id, (perId.get(row.id) ?? 0) + 1);
      perRelay[relayNo]!++;
      all.check();
      if (firstRelay === undefined) {
        firstRelay = relayNo;
        await otherPublished.opened;
      } else if (relayNo !== firstRelay) {
        otherPublished.open();
      }
    };
    relay(a, schema, publisher(0), { batchSize: 10, intervalMs: 20 });
    relay(b, schema, publisher(1), { batchSize: 10, intervalMs: 20 });

    await all.promise;
    await allPublished(a, schema, 50);
    while (relays.length) await relays.pop()!.stop();

    expect([...perId.values()].filter((n) => n !== 1)).toEqual([]);
    expect(perId.size).toBe(50);
    expect(perRelay[0]! + perRelay[1]!).toBe(50);
    expect(perRelay[0]).toBeGreaterThan(0);
    expect(perRelay[1]).toBeGreaterThan(0);
  });

  it('keeps one subject in order with two relays at once: neither overtakes the other', async () => {
    const schema = newSchema();
    const [a, b] = [await open(schema), await open(schema)];
    await migrate(a, schema, log);
    const events = Array.from({ length: 60 }, (_, i) => event(i));
    await a.em.fork().transactional(async (tx) => {
      for (const e of events) await enqueueOutbox(tx, schema, 'thing', e);
    });

    const order: number[] = [];
    const all = when('60 rows published', () => order.length >= 60);
    // Each publish takes a few turns of the event loop, so a relay's window is in flight while
    // the other one polls: without the subject rule, the other would take the next rows and send them first.
    const publisher = async (row: OutboxRow) => {
      for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
      order.push((row.envelope.data as { n: number }).n);
      all.check();
    };
    relay(a, schema, publisher, { batchSize: 5, intervalMs: 5 });
    relay(b, schema, publisher, { batchSize: 5, intervalMs: 5 });

    await all.promise;
    await allPublished(a, schema, 60);
    while (relays.length) await relays.pop()!.stop();
    expect(order).toEqual(events.map((e) => e.data.n));
  });

  it('hands the rows of a relay that stopped answering to another once its lease runs out', async () => {
    const schema = newSchema();
    const [a, b] = [await open(schema), await open(schema)];
    await migrate(a, schema, log);
    const events = [1, 2, 3].map(event);
    await a.em.fork().transactional(async (tx) => {
      for (const e of events) await enqueueOutbox(tx, schema, 'thing', e);
    });

    // Relay A claims the rows and hangs in its first publish (a stalled process).
    const stalled = gate();
    const claimedByA = when('relay A holds the rows', () => true);
    relay(
      a,
      schema,
      async () => {
        claimedByA.check();
        await stalled.opened;
      },
      { leaseMs: 400, intervalMs: 20 },
    );
    await claimedByA.promise;
    const byB: string[] = [];
    const allByB = when('relay B sent the three rows', () => byB.length === 3);
    relay(
      b,
      schema,
      async (row) => {
        byB.push(row.id);
        allByB.check();
      },
      { leaseMs: 400, intervalMs: 20 },
    );

    await allByB.promise;
    expect(byB).toEqual(events.map((e) => e.id));
    await allPublished(a, schema, 3);
    stalled.open();
  });
});

describe('inbox', () => {
  it('claims an event once per consumer', async () => {
    const { orm, schema } = await migrated();
    const id = uuidv7();
    expect(await claimInbox(orm.em.fork(), schema, 'fold-task-status', id)).toBe(true);
    expect(await claimInbox(orm.em.fork(), schema, 'fold-task-status', id)).toBe(false);
    expect(await claimInbox(orm.em.fork(), schema, 'notify', id)).toBe(true);
    expect(await claimInbox(orm.em.fork(), schema, 'fold-task-status', uuidv7())).toBe(true);
  });

  it('forgets a claim whose transaction rolled back', async () => {
    const { orm, schema } = await migrated();
    const id = uuidv7();
    await expect(
      orm.em.fork().transactional(async (tx) => {
        expect(await claimInbox(tx, schema, 'fold-task-status', id)).toBe(true);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await claimInbox(orm.em.fork(), schema, 'fold-task-status', id)).toBe(true);
  });
});
