import { afterEach, describe, expect, inject, it } from 'vitest';
import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import {
  createOrm,
  dbTimeoutKind,
  DbTimeoutOptionError,
  migrate,
  type DbTimeouts,
  type MikroORM,
} from '@reelforge/persistence';
import { memoryLogger, uniqueToken } from '@reelforge/testing';

// The per-connection limits createOrm sets, against a real PostgreSQL.

const { log } = memoryLogger('persistence-timeouts-test');
const orms: MikroORM[] = [];
const schemas: string[] = [];

afterEach(async () => {
  const admin = orms[0];
  for (const schema of schemas.splice(0)) await admin?.em.fork().execute(`drop schema if exists "${schema}" cascade`);
  while (orms.length) await orms.pop()!.close(true);
});

function newSchema(): string {
  const schema = uniqueToken('timeouts_test_');
  schemas.push(schema);
  return schema;
}

async function open(
  schema: string,
  timeouts?: Partial<DbTimeouts>,
  migrations: MigrationObject[] = [],
): Promise<MikroORM> {
  const orm = await createOrm({
    databaseUrl: inject('databaseUrl'),
    schema,
    entities: [],
    migrations,
    log,
    ...(timeouts ? { timeouts } : {}),
  });
  orms.push(orm);
  return orm;
}

async function show(orm: MikroORM, setting: string): Promise<string> {
  const [row] = await orm.em.fork().execute<Record<string, string>[]>(`show ${setting}`);
  return row![setting]!;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

/** Runs `body` inside a transaction that stays open until the returned `release` is called. */
async function holdTransaction(
  orm: MikroORM,
  body: (tx: ReturnType<MikroORM['em']['fork']>) => Promise<void>,
): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = orm.em.fork().transactional(async (tx) => {
    await body(tx);
    ready();
    await released;
  });
  await Promise.race([isReady, done]);
  return {
    release: async () => {
      release();
      await done;
    },
  };
}

describe('createOrm timeouts', () => {
  it('opens every connection with the configured limits, which survive `reset all`', async () => {
    const orm = await open(newSchema(), { statementMs: 300, lockMs: 150, idleInTransactionMs: 45_000 });
    expect(await show(orm, 'statement_timeout')).toBe('300ms');
    expect(await show(orm, 'lock_timeout')).toBe('150ms');
    expect(await show(orm, 'idle_in_transaction_session_timeout')).toBe('45s');
    // Startup parameters are the session defaults: resetting (as MikroORM's connection-scoped session
    // context does on checkout) keeps them.
    const after = await orm.em.fork().transactional(async (tx) => {
      await tx.execute('reset all');
      return tx.execute<{ statement_timeout: string }[]>('show statement_timeout');
    });
    expect(after[0]!.statement_timeout).toBe('300ms');
  });

  it('uses 30 s / 5 s / 60 s when not told otherwise', async () => {
    const orm = await open(newSchema());
    expect([
      await show(orm, 'statement_timeout'),
      await show(orm, 'lock_timeout'),
      await show(orm, 'idle_in_transaction_session_timeout'),
    ]).toEqual(['30s', '5s', '1min']);
  });

  it('cancels a statement that runs past the statement timeout, with an error that says so', async () => {
    const orm = await open(newSchema(), { statementMs: 300 });
    const t0 = performance.now();
    const err = await failure(orm.em.fork().execute('select pg_sleep(2)'));
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(err.message).toMatch(/canceling statement due to statement timeout/);
    expect(dbTimeoutKind(err)).toBe('statement');
    // The connection is fine afterwards.
    expect(await orm.em.fork().execute('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('gives up waiting for a row lock after the lock timeout', async () => {
    const schema = newSchema();
    const orm = await open(schema, { lockMs: 200 });
    const em = orm.em.fork();
    await em.execute(`create schema "${schema}"`);
    await em.execute(`create table "${schema}".things (id int primary key, n int not null)`);
    await em.execute(`insert into "${schema}".things values (1, 0)`);

    const holder = await holdTransaction(orm, async (tx) => {
      await tx.execute(`select * from "${schema}".things where id = 1 for update`);
    });
    try {
      const t0 = performance.now();
      const err = await failure(orm.em.fork().execute(`update "${schema}".things set n = n + 1 where id = 1`));
      const waited = performance.now() - t0;
      expect(err.message).toMatch(/canceling statement due to lock timeout/);
      expect(dbTimeoutKind(err)).toBe('lock');
      expect(waited).toBeGreaterThanOrEqual(150);
      expect(waited).toBeLessThan(2_000);
    } finally {
      await holder.release();
    }
    expect(dbTimeoutKind(new Error('boom'))).toBeUndefined();
  });

  it('refuses a negative or fractional timeout before connecting', async () => {
    const err = await failure(open(newSchema(), { lockMs: -1 }));
    expect(err).toBeInstanceOf(DbTimeoutOptionError);
    expect(err.message).toBe('database timeout lockMs=-1 must be a whole number of milliseconds >= 0');
    await expect(open(newSchema(), { statementMs: 1.5 })).rejects.toBeInstanceOf(DbTimeoutOptionError);
  });
});

// Migrations run with the statement limit lifted and wait for each other without a lock limit.
class SlowMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table slow (id int primary key)');
    // Longer than the statement timeout below; and it keeps the second replica waiting on the lock
    // for longer than the lock timeout.
    this.addSql('select pg_sleep(0.8)');
  }
}

describe('migrate under tight limits', () => {
  it('is neither cut by the statement timeout nor by the lock timeout while another replica migrates', async () => {
    const schema = newSchema();
    const limits = { statementMs: 300, lockMs: 100 };
    const migrations = [{ name: 'm1', class: SlowMigration }];
    const [a, b] = [await open(schema, limits, migrations), await open(schema, limits, migrations)];
    const results = await Promise.all([migrate(a, schema, log), migrate(b, schema, log)]);
    expect(results.flat()).toEqual(['m1']); // applied once, the other replica found nothing pending
    // The lift was local to the migration's transaction: connections keep their limits.
    expect(await show(a, 'statement_timeout')).toBe('300ms');
    expect(await show(b, 'lock_timeout')).toBe('100ms');
  });

  it('keeps the lock timeout for the DDL itself, so a migration does not queue behind a long transaction', async () => {
    const schema = newSchema();
    const orm = await open(schema);
    const em = orm.em.fork();
    await em.execute(`create schema "${schema}"`);
    await em.execute(`create table "${schema}".other (id int primary key)`);

    class AlterOther extends Migration {
      override async up(): Promise<void> {
        this.addSql(`alter table "${schema}".other add column n int`);
      }
    }
    const blocked = await open(schema, { lockMs: 200 }, [{ name: 'm2', class: AlterOther }]);
    const holder = await holdTransaction(orm, async (tx) => {
      await tx.execute(`select * from "${schema}".other`); // holds ACCESS SHARE until released
    });
    try {
      const err = await failure(migrate(blocked, schema, log));
      expect(err.message).toMatch(/canceling statement due to lock timeout/);
      expect(dbTimeoutKind(err)).toBe('lock');
    } finally {
      await holder.release();
    }
  });
});
