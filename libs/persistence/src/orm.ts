import type { MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { timeoutConnectionOptions, type DbTimeouts } from './timeouts.ts';
import { StatementSpanLogger } from './statement-spans.ts';
import { PreparingClient } from './prepared-statements.ts';

export type { EntityManager } from '@mikro-orm/postgresql';
export { MikroORM } from '@mikro-orm/postgresql';
export {
  DEFAULT_DB_TIMEOUTS,
  DbTimeoutOptionError,
  dbTimeoutKind,
  type DbTimeoutKind,
  type DbTimeouts,
} from './timeouts.ts';

export interface OrmOptions {
  databaseUrl: string;
  /** The service's own PostgreSQL schema; every table of the service lives in it. */
  schema: string;
  // `any`: MikroORM's entity schema types are deeply generic; the list is checked by MikroORM at init.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  entities: any[];
  /** Committed migrations, in order (append, never edit a merged one). */
  migrations: MigrationObject[];
  log: Logger;
  poolMax?: number;
  /** Per-connection server limits; each one left out takes DEFAULT_DB_TIMEOUTS' value. */
  timeouts?: Partial<DbTimeouts>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME}`);
  return schema;
}

/**
 * Opens the service's ORM on its own schema. No global context: callers fork an EntityManager per
 * request and per message, so no identity map is shared between two of them (docs/architecture.md,
 * Runtime and tooling decisions). Fails fast, with the database named, when it is unreachable.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  assertSchemaName(options.schema);
  const log = options.log.child({ component: 'orm' });
  // Checked before connecting: a bad value is a configuration error, not an unreachable database.
  const timeouts = timeoutConnectionOptions(options.timeouts);
  let orm: MikroORM;
  try {
    orm = await MikroORM.init({
      clientUrl: options.databaseUrl,
      schema: options.schema,
      entities: options.entities,
      extensions: [Migrator],
      allowGlobalContext: false,
      // Some services (gateway) keep only raw tables (outbox, API keys) for now.
      discovery: { warnWhenNoEntities: false },
      pool: { min: 0, max: options.poolMax ?? 10 },
      // Merged into the `pg` Pool options (MikroORM 7 hands driverOptions to `new Pool`), so every
      // connection opens with the limits as its session defaults.
      // PreparingClient: the hot statements run as named prepared statements (prepared-statements.ts),
      // planned once per connection: only they have bound parameters (MikroORM inlines values), and
      // the default would plan each of their first five runs per connection afresh, and then any
      // whose custom plans look cheaper, which on the per-task path halved what preparing saved.
      driverOptions: { ...timeouts, Client: PreparingClient, options: '-c plan_cache_mode=force_generic_plan' },
      migrations: {
        migrationsList: options.migrations,
        schema: options.schema,
        tableName: 'mikro_orm_migrations',
        snapshot: false,
        transactional: true,
        allOrNothing: true,
        silent: true,
        emit: 'ts',
      },
      logger: (message) => log.debug(message),
      // A span per statement inside a trace (statement-spans.ts).
      loggerFactory: (o) => new StatementSpanLogger(o),
    });
  } catch (err) {
    throw new Error(`cannot open the database at ${redactUrl(options.databaseUrl)}`, { cause: err });
  }
  try {
    await orm.em.fork().execute('select 1');
  } catch (err) {
    await orm.close(true).catch(() => undefined);
    throw new Error(`cannot reach the database at ${redactUrl(options.databaseUrl)}`, { cause: err });
  }
  return orm;
}

/** Shows a connection URL without its password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Readiness check: one round trip to the database. */
export function databaseCheck(orm: MikroORM): () => Promise<void> {
  return async () => {
    await orm.em.fork().execute('select 1');
  };
}

/**
 * Takes the migration lock for `schema` in `tx`'s transaction, with the connection's limits lifted
 * for that transaction only (`set local`): a replica must be able to wait for another replica's
 * migrations however long they take, and a migration (a backfill, an index build) may rightly run
 * longer than any request; cutting it would roll it back and crash-loop the service on it. The
 * lock-wait limit comes back once the lock is held, so a migration's DDL still gives up rather than
 * queue an exclusive table lock behind a long transaction and stall every query on that table (the
 * service then fails to start, saying why, and is restarted).
 */
async function takeMigrationLock(tx: EntityManager, schema: string): Promise<void> {
  await tx.execute('set local statement_timeout = 0');
  await tx.execute('set local lock_timeout = 0');
  await tx.execute(`select pg_advisory_xact_lock(hashtext('reelforge:migrate:' || ?))`, [schema]);
  await tx.execute('set local lock_timeout to default');
}

/**
 * Creates the schema if needed and applies pending migrations, under a transaction-scoped advisory
 * lock keyed by the schema: replicas starting together run them once, the others wait and find
 * nothing pending (docs/architecture.md, Tables per owner: how migrations run).
 */
export async function migrate(orm: MikroORM, schema: string, log: Logger): Promise<string[]> {
  assertSchemaName(schema);
  const em: EntityManager = orm.em.fork();
  // The schema is created in its own short transaction under the lock: two concurrent `create
  // schema if not exists` can collide on the catalog, and creating it inside the migration
  // transaction below would hide it from the migrator's own connection (which then waits forever).
  await em.transactional(async (tx) => {
    await takeMigrationLock(tx, schema);
    await tx.execute(`create schema if not exists "${schema}"`);
  });
  const applied = await em.transactional(async (tx) => {
    await takeMigrationLock(tx, schema);
    // MikroORM types a driver transaction as `any`; it is only handed back to the migrator.
    const ctx: unknown = tx.getTransactionContext();
    const done = await orm.migrator.up({ schema, ...(ctx ? { transaction: ctx } : {}) });
    return done.map((m) => m.name);
  });
  if (applied.length) log.info({ schema, applied }, 'migrations applied');
  return applied;
}
